from django.apps import AppConfig


class FrontDeskConfig(AppConfig):
    name = "apps.frontdesk"
    label = "frontdesk"
