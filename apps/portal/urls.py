from django.urls import include, path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("settings/", views.settings_page, name="settings"),
    path("settings/contact/", views.contact_details, name="contact_details"),
    path("settings/reminders/", views.reminder_preferences, name="reminder_preferences"),
    path("settings/stop-texts/", views.stop_text_messages, name="stop_text_messages"),
    path("settings/sign-in-email/", views.sign_in_email, name="sign_in_email"),
    path("settings/sign-in-email/<str:token>/", views.sign_in_email_confirm, name="sign_in_email_confirm"),
    path("settings/sign-out-others/", views.sign_out_others, name="sign_out_others"),
    path("settings/two-step/", views.two_step, name="two_step"),
    path("settings/two-step/off/", views.two_step_off, name="two_step_off"),
    path("two-step/not-now/", views.two_step_not_now, name="two_step_not_now"),
    path("contact/", views.contact, name="contact"),
    path("sessions/", include("apps.scheduling.portal_urls")),
    path("programs/", include("apps.programs.portal_urls")),
    path("billing/", include("apps.billing.portal_urls")),
    path("records/", include("apps.records.portal_urls")),
    path("book/", include("apps.selfbooking.portal_urls")),
    path("forms/", include("apps.intake.portal_urls")),
    path("care/", include("apps.ladder.portal_urls")),
    path("", include("apps.education.portal_urls")),
    path("", include("apps.outcomes.portal_urls")),
    path("", include("apps.messaging.portal_urls")),
]
