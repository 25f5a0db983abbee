"""A discharge declines the patient's open weekly-time offer: the time goes to the next in line at once instead of
being held for someone who can no longer book it, and their request waits on, passed over while discharged."""

import pytest

from apps.audit.models import AccessLog
from apps.patients.services import patient_discharge, patient_reactivate
from apps.waitlist.models import SlotOffer, SlotRequest

from .test_slot_waitlist import free_the_slot, wait, weekly  # noqa: F401 (weekly is a fixture)

pytestmark = pytest.mark.django_db


def test_a_discharge_passes_an_open_weekly_time_offer_to_the_next_in_line(
    personas,
    weekly,  # noqa: F811
    make_patients,
    django_capture_on_commit_callbacks,
):
    _, service = weekly
    [second] = make_patients(1)
    wait(personas.patient, service)
    wait(second, service)
    slot = free_the_slot(personas, weekly)
    mine = SlotOffer.objects.get(request__patient=personas.patient)

    with django_capture_on_commit_callbacks(execute=True):  # the time passes on once the discharge commits
        patient_discharge(actor=personas.front_desk, patient=personas.patient)

    mine.refresh_from_db()
    assert mine.status == "declined"
    assert SlotOffer.objects.get(slot=slot, status="outstanding").request.patient == second
    assert SlotRequest.objects.get(patient=personas.patient).status == "waiting"
    assert AccessLog.objects.filter(action="slot_offer_decline", patient_id=personas.patient.pk).exists()
    # Back in care, they are in line again (this time, turned down, is not offered to them a second time).
    patient_reactivate(actor=personas.front_desk, patient=personas.patient)
    assert SlotRequest.objects.get(patient=personas.patient).status == "waiting"
