"""Thin Celery tasks for accounts: ids in, services do the work."""

from smtplib import SMTPException

from celery import shared_task

from . import services


def _email_task(name: str):
    """An email the worker sends for accounts: retried with backoff while the mail server refuses or is out of reach."""
    return shared_task(
        name=name, ignore_result=True, autoretry_for=(SMTPException, OSError), retry_backoff=True, max_retries=5
    )


@_email_task("apps.accounts.tasks.password_reset_emails_send")
def password_reset_emails_send(user_ids: list[int]) -> int:
    """Email the reset links a "Forgot your password?" request asked for. Sending one twice (a retry after the mail
    server failed midway) is harmless: each link works until the password changes."""
    return services.password_reset_emails_send(user_ids=user_ids)


@_email_task("apps.accounts.tasks.password_changed_notice_send")
def password_changed_notice_send(user_id: int) -> None:
    """Tell the account holder their password was changed (a retry may tell them twice, never not at all)."""
    services.password_changed_notice_send(user_id=user_id)


@_email_task("apps.accounts.tasks.invitation_email_send")
def invitation_email_send(invitation_id: int) -> bool:
    """Email an invitation's link. A retry makes a new link and the earlier one stops working, so whichever email
    arrives last is the one that works; an invitation revoked meanwhile sends nothing."""
    return services.invitation_email_send(invitation_id=invitation_id)


@_email_task("apps.accounts.tasks.sign_in_email_changed_notice_send")
def sign_in_email_changed_notice_send(user_id: int, old_email: str) -> None:
    """Tell someone their sign-in email was changed (a retry may tell them twice, never not at all)."""
    services.sign_in_email_changed_notice_send(user_id=user_id, old_email=old_email)
