"""Thin Celery tasks for accounts: ids in, services do the work."""

from smtplib import SMTPException

from celery import Task, shared_task

from . import services


def _email_task(name: str, base: type[Task] = Task):
    """An email the worker sends for accounts: retried with backoff while the mail server refuses or is out of reach."""
    return shared_task(
        name=name,
        base=base,
        ignore_result=True,
        autoretry_for=(SMTPException, OSError),
        retry_backoff=True,
        max_retries=5,
    )


class InvitationEmailTask(Task):
    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        """Celery calls this once it gives up (after the last retry, not between retries): without it the invitation
        would wait to be sent for ever, and staff would never know to send it again."""
        invitation_id = kwargs["invitation_id"] if "invitation_id" in kwargs else args[0]
        services.invitation_email_failure_record(invitation_id=invitation_id, error=exc)


@_email_task("apps.accounts.tasks.password_reset_emails_send")
def password_reset_emails_send(user_ids: list[int]) -> int:
    """Email the reset links a "Forgot your password?" request asked for. Sending one twice (a retry after the mail
    server failed midway) is harmless: each link works until the password changes."""
    return services.password_reset_emails_send(user_ids=user_ids)


@_email_task("apps.accounts.tasks.password_changed_notice_send")
def password_changed_notice_send(user_id: int) -> None:
    """Tell the account holder their password was changed (a retry may tell them twice, never not at all)."""
    services.password_changed_notice_send(user_id=user_id)


@_email_task("apps.accounts.tasks.invitation_email_send", base=InvitationEmailTask)
def invitation_email_send(invitation_id: int) -> bool:
    """Email an invitation's link. A retry makes a new link and the earlier one stops working, so whichever email
    arrives last is the one that works; an invitation revoked meanwhile sends nothing."""
    return services.invitation_email_send(invitation_id=invitation_id)


@_email_task("apps.accounts.tasks.sign_in_email_changed_notice_send")
def sign_in_email_changed_notice_send(user_id: int, old_email: str) -> None:
    """Tell someone their sign-in email was changed (a retry may tell them twice, never not at all)."""
    services.sign_in_email_changed_notice_send(user_id=user_id, old_email=old_email)
