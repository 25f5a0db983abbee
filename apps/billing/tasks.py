"""Thin Celery tasks that call the billing services."""

import datetime as dt

from celery import shared_task

from apps.core import clock

from .services import assessments, estimates, payments, plans, statements


@shared_task(name="apps.billing.tasks.reattestation_requests_queue")
def reattestation_requests_queue() -> int:
    """Beat, daily: ask patients whose sliding-scale assessment ends within 30 days to re-apply (once each)."""
    return assessments.reattestation_requests_queue()


@shared_task(name="apps.billing.tasks.statements_issue_last_month")
def statements_issue_last_month() -> int:
    """Beat, daily: issue last month's statements; patients already issued one are skipped, so re-runs are harmless."""
    last_month = clock.local_now().date().replace(day=1) - dt.timedelta(days=1)
    return statements.statements_issue_for_month(actor=None, year=last_month.year, month=last_month.month)


@shared_task(name="apps.billing.tasks.plan_instalment_reminders_queue")
def plan_instalment_reminders_queue() -> int:
    """Beat, daily: remind patients of overdue payment-plan instalments (once per instalment)."""
    return plans.plan_instalment_reminders_queue()


@shared_task(name="apps.billing.tasks.gfe_reissue_after_assessment_expiry")
def gfe_reissue_after_assessment_expiry() -> int:
    """Beat, daily: re-issue the running Good Faith Estimates of patients whose sliding-scale assessment ended."""
    return estimates.gfe_reissue_after_assessment_expiry()


@shared_task(name="apps.billing.tasks.card_refunds_retry")
def card_refunds_retry() -> int:
    """Beat, every 10 minutes: ask the provider again about card refunds still waiting for its answer, and post them."""
    return payments.card_refunds_retry()
