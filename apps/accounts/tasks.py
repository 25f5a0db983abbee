"""Thin Celery tasks for accounts: ids in, services do the work."""

from collections.abc import Callable

from celery import Task, shared_task

from apps.core.mail import DeliveryError

from . import services


def _email_task(name: str, *, giving_up: Callable[[int, BaseException], None]):
    """An email the worker sends for accounts, given its record's id: retried with backoff while the mail server is
    out of reach or defers it (a DeliveryError); refused for good (delivery.EmailRefused), or stopped by anything
    else, it is given up at once. `giving_up(record id, error)` records that."""

    class RecordsGivingUp(Task):
        def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
            # Celery calls this once it gives up (after the last retry, not between retries): without it the email
            # would wait to be sent for ever, and staff would never know the person did not get it.
            giving_up(args[0] if args else next(iter(kwargs.values())), exc)

    return shared_task(
        name=name,
        base=RecordsGivingUp,
        ignore_result=True,
        autoretry_for=(DeliveryError,),
        retry_backoff=True,
        max_retries=5,
    )


@shared_task(name="apps.accounts.tasks.password_reset_emails_send", ignore_result=True)
def password_reset_emails_send(user_ids: list[int]) -> int:
    """Record the reset emails a "Forgot your password?" request asked for and hand each to `account_email_send`.
    With no account, there is nobody to write to and nothing is recorded."""
    return services.password_reset_emails_send(user_ids=user_ids)


@_email_task(
    "apps.accounts.tasks.account_email_send",
    giving_up=lambda pk, error: services.account_email_failure_record(account_email_id=pk, error=error),
)
def account_email_send(account_email_id: int) -> str:
    """Send one recorded account email (a reset link, the notice of a changed password or sign-in email) at most
    once: a retry, or the task delivered again, after the mail server may have taken it sends nothing."""
    return services.account_email_send(account_email_id=account_email_id)


@_email_task(
    "apps.accounts.tasks.invitation_email_send",
    giving_up=lambda pk, error: services.invitation_email_failure_record(invitation_id=pk, error=error),
)
def invitation_email_send(invitation_id: int) -> bool:
    """Email an invitation's link at most once. A retry (the mail server did not take the earlier try) makes a new
    link and the earlier one stops working; an invitation revoked meanwhile sends nothing."""
    return services.invitation_email_send(invitation_id=invitation_id)


# The notices' tasks before account emails were recorded, each sending its email itself: a message queued under one
# of these names before the deploy records the notice and hands it to `account_email_send`, as a change does now.
@shared_task(name="apps.accounts.tasks.password_changed_notice_send", ignore_result=True)
def password_changed_notice_send(user_id: int) -> None:
    services.password_changed_notice_queue(user_id=user_id)


@shared_task(name="apps.accounts.tasks.sign_in_email_changed_notice_send", ignore_result=True)
def sign_in_email_changed_notice_send(user_id: int, old_email: str) -> None:
    services.sign_in_email_changed_notice_queue(user_id=user_id, old_email=old_email)
