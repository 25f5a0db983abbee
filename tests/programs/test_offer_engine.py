"""The one offer engine behind program seats and freed weekly slots: one expiry sweep, one link check, one rule for
when an offer can be answered, and the slot waitlist's move out of programs keeping what was written before."""

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps as installed_apps
from django.contrib.contenttypes.models import ContentType

from apps.core import clock
from apps.notifications.models import Message
from apps.programs.models import Enrollment
from apps.programs.services.seats import enrollment_withdraw, program_enroll
from apps.waitlist.models import SlotOffer, SlotRequest
from apps.waitlist.offers import offer_problem, offer_token_make, offer_token_read
from apps.waitlist.tasks import expire_offers
from tests.waitlist.test_slot_waitlist import free_the_slot, wait, weekly  # noqa: F401  (weekly is a fixture)

pytestmark = pytest.mark.django_db

moved_here = importlib.import_module("apps.waitlist.migrations.0001_slot_waitlist_from_programs")


def test_one_sweep_expires_seat_and_slot_offers_alike(personas, program, make_patients, weekly):  # noqa: F811
    patients = make_patients(4)
    enrollments = [program_enroll(actor=p.user, program=program, patient=p) for p in patients]
    start = clock.now()
    enrollment_withdraw(actor=patients[0].user, enrollment=enrollments[0])
    request = wait(personas.patient, weekly[1])
    free_the_slot(personas, weekly)
    assert Enrollment.objects.get(pk=enrollments[3].pk).status == "offered"
    assert SlotRequest.objects.get(pk=request.pk).status == "offered"
    with time_machine.travel(start + dt.timedelta(hours=47), tick=False):
        assert expire_offers() == 0
    with time_machine.travel(start + dt.timedelta(hours=48, minutes=1), tick=False):
        assert expire_offers() == 2
        assert expire_offers() == 0
    assert Enrollment.objects.get(pk=enrollments[3].pk).status == "expired"
    assert SlotRequest.objects.get(pk=request.pk).status == "expired"
    assert set(Message.objects.filter(template__endswith="_offer_expired").values_list("template", flat=True)) == {
        "seat_offer_expired",
        "slot_offer_expired",
    }


def test_a_link_for_a_kind_of_offer_nobody_makes_is_refused(personas, login):
    token = offer_token_make(kind="parking", object_id=1, offer_number=1, action="accept")
    assert offer_token_read(token) is None
    assert login(personas.patient_user).get(f"/portal/programs/offers/{token}/").status_code == 404


def test_a_link_with_an_unknown_answer_is_refused():
    assert offer_token_read(offer_token_make(kind="seat", object_id=1, offer_number=1, action="maybe")) is None
    assert offer_token_read(offer_token_make(kind="slot", object_id=1, offer_number=1, action="accept")) is not None


def test_an_offer_is_answerable_only_while_open_current_and_in_time():
    later = clock.now() + dt.timedelta(hours=1)
    open_offer = {"noun": "seat", "closed": "", "expires_at": later}
    assert offer_problem(**open_offer) == ""
    assert offer_problem(**open_offer, offer_number=2, current_number=2) == ""
    assert offer_problem(**open_offer, offer_number=1, current_number=2) == "This link belongs to an earlier offer."
    assert offer_problem(**{**open_offer, "expires_at": clock.now()}) == "This seat offer has expired."
    # A closed offer says why it is closed, even when its link is stale and its deadline gone.
    closed = {"noun": "slot", "closed": "This slot offer is accepted.", "expires_at": clock.now()}
    assert offer_problem(**closed, offer_number=1, current_number=2) == "This slot offer is accepted."


def test_the_move_out_of_programs_carries_the_outbox_rows_and_content_types(personas, weekly):  # noqa: F811
    wait(personas.patient, weekly[1])
    offer = SlotOffer.objects.get(slot=free_the_slot(personas, weekly))
    notices = Message.objects.filter(template="slot_offer", subject_id=str(offer.pk))
    assert set(notices.values_list("subject_type", flat=True)) == {"waitlist.slotoffer"}
    # As the rows were before the move:
    notices.update(subject_type="programs.slotoffer")
    ContentType.objects.filter(app_label="waitlist", model__in=moved_here.MOVED).update(app_label="programs")
    try:
        moved_here.models_follow_to_waitlist(installed_apps, None)
        assert set(notices.values_list("subject_type", flat=True)) == {"waitlist.slotoffer"}
        assert set(ContentType.objects.filter(model__in=moved_here.MOVED).values_list("app_label", "model")) == {
            ("waitlist", model) for model in moved_here.MOVED
        }
        moved_here.models_follow_back_to_programs(installed_apps, None)
        assert set(notices.values_list("subject_type", flat=True)) == {"programs.slotoffer"}
    finally:
        ContentType.objects.clear_cache()


MALFORMED_OFFERS = [
    {"k": "seat", "n": 1, "a": "accept"},  # no id
    {"k": "seat", "id": "one", "n": 1, "a": "accept"},
    {"k": "seat", "id": 1, "n": None, "a": "accept"},
    {"k": ["seat"], "id": 1, "n": 1, "a": "accept"},
    {"k": "seat", "id": 1, "n": 1, "a": ["accept"]},
    {"k": "seat", "id": 1.5, "n": 1, "a": "accept"},
    {"k": "seat", "id": 10**30, "n": 1, "a": "accept"},
    ["seat", 1, 1, "accept"],
    "seat",
]


@pytest.mark.parametrize("payload", MALFORMED_OFFERS)
def test_an_offer_link_signed_by_the_clinic_but_malformed_is_refused(client, payload):
    from django.core import signing

    from apps.waitlist.offers import TOKEN_SALT

    token = signing.dumps(payload, salt=TOKEN_SALT, compress=True)
    assert offer_token_read(token) is None
    for path in (f"/portal/programs/offers/{token}/", f"/lectures/offers/{token}/"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
