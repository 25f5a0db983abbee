"""What the apps above patients do when a chart is opened, and what they say against a discharge, without patients
importing them.

Programs links a member of the public who registered for lectures with the same email to the new chart, so the
person is linked, not duplicated. Each app appends its reaction in its AppConfig.ready(); they run in the
transaction that opens the chart, in registration order.

Scheduling says a patient with sessions still booked is not discharged until they are cancelled (a discharged
patient would otherwise get their reminders and be charged as a no-show), and programs the same of a member of a
group still meeting. Once discharged, programs and the weekly-time waitlist decline the patient's open offers so
the seat or the time passes to the next in line; they run in the discharge's transaction, under its lock on the
patient's row. Once reactivated, the patient is served again from the lines they were passed over in: programs offer
a seat that came free meanwhile to the first in line, who may now be them. Those reactions are called in the
reactivation's transaction, under its lock on the patient's row; one that locks other patients' rows does that once
the reactivation has committed, as the discharge's do.

A therapist comes to treat a patient when they are set as the patient's primary therapist or a session with them is
booked or handed to them (scheduling says so for its sessions). Outcomes and intake then tell a psychotherapist who
now treats the patient of a risk answer still waiting for review, which nobody could review before.
"""

import functools
from collections.abc import Callable, Iterable

from django.db import transaction

# Each is called with keyword arguments: actor, patient.
chart_opened: list[Callable[..., None]] = []


def chart_opened_register(reaction: Callable[..., None]) -> None:
    if reaction not in chart_opened:
        chart_opened.append(reaction)


# Each is called with the keyword argument patient and answers why they cannot be discharged now, or "".
discharge_blockers: list[Callable[..., str]] = []


def discharge_blocker_register(check: Callable[..., str]) -> None:
    if check not in discharge_blockers:
        discharge_blockers.append(check)


# Each is called with the keyword arguments actor and patient (already discharged, its row locked).
discharged: list[Callable[..., None]] = []


def discharged_register(reaction: Callable[..., None]) -> None:
    if reaction not in discharged:
        discharged.append(reaction)


# Scheduling plans each booked session's reminders from the chart as it stood at booking: address, number, reminder
# choices and consent, time zone, the name they greet. When any of those changes it withdraws the patient's reminders
# not yet sent and plans them again from the chart as it now is. Each is called with the keyword argument patient
# (its row locked, the change saved), in the change's transaction.
reminder_details_changed: list[Callable[..., None]] = []


def reminder_details_changed_register(reaction: Callable[..., None]) -> None:
    if reaction not in reminder_details_changed:
        reminder_details_changed.append(reaction)


# Each is called with the keyword arguments actor and patient (back in care, its row locked).
reactivated: list[Callable[..., None]] = []


def reactivated_register(reaction: Callable[..., None]) -> None:
    if reaction not in reactivated:
        reactivated.append(reaction)


# Each is called with the keyword argument patient_id, after the transaction that may have given the patient a new
# treating therapist has committed (each in its own transaction; one that fails does not stop the others). Running
# after the commit keeps booking a series as cheap as it was.
treating_changed: list[Callable[..., None]] = []


def treating_changed_register(reaction: Callable[..., None]) -> None:
    if reaction not in treating_changed:
        treating_changed.append(reaction)


def treating_changed_notify(*, patient_ids: Iterable[int]) -> None:
    """Run the `treating_changed` reactions for each patient once the caller's transaction commits."""
    for patient_id in sorted(set(patient_ids)):
        for reaction in treating_changed:
            transaction.on_commit(functools.partial(reaction, patient_id=patient_id), robust=True)
