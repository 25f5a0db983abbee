from django.apps import AppConfig


class EducationConfig(AppConfig):
    name = "apps.education"
    label = "education"
    verbose_name = "Education library"
