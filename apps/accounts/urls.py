from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="accounts/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("mfa/setup/", views.mfa_setup, name="mfa_setup"),
    path("mfa/verify/", views.mfa_verify, name="mfa_verify"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:pk>/", views.staff_detail, name="staff_detail"),
    path("users/<int:pk>/details/", views.staff_details, name="staff_details"),
    path("users/<int:pk>/clinical-profile/", views.staff_clinical_profile, name="staff_clinical_profile"),
    path("users/<int:pk>/<str:action>/", views.staff_access, name="staff_access"),
    path("clinic-settings/", views.clinic_settings, name="clinic_settings"),
    path("sign-in/", views.own_sign_in, name="own_sign_in"),
    path("sign-in/sign-out-others/", views.own_sessions_end, name="own_sessions_end"),
    path("tokens/", views.api_tokens, name="api_tokens"),
    path("tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
