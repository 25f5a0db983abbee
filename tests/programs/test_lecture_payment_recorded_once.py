"""One submission records at most one payment at a lecture's door: the form sent twice (a second click on the
confirmation, Back then send, the browser sending again after a timeout) answers the payment the first sending
recorded instead of recording another."""

import re
import uuid
from decimal import Decimal

import pytest

from apps.core.errors import Conflict
from apps.programs.models import LecturePayment
from apps.programs.services.lectures import lecture_payment_record
from tests.locking import at_once

from .test_public_lectures import lecture, register

KEY_IN_FORM = re.compile(r'name="submission_key" value="([0-9a-f-]{36})"')


def _sliding_lecture_registration(email="robin@example.test"):
    program = lecture(capacity=2, fee_mode="sliding", full_price=Decimal("20.00"), reduced_price=Decimal("5.00"))
    return register(program, fee_tier="full", email=email)


def _url(enrollment) -> str:
    return f"/programs/enrollments/{enrollment.pk}/lecture-payment/"


@pytest.mark.django_db
def test_the_door_payment_confirmed_twice_is_recorded_once_and_the_second_answer_says_so(personas, login):
    enrollment = _sliding_lecture_registration()
    staff = login(personas.billing)
    key = KEY_IN_FORM.search(staff.get(_url(enrollment)).content.decode()).group(1)
    form = {"kind": "fee", "amount": "20.00", "method": "cash", "submission_key": key}
    asked = staff.post(_url(enrollment), form).content.decode()
    assert f'name="submission_key" value="{key}"' in asked  # the confirming step carries it on
    assert staff.post(_url(enrollment), {**form, "confirm": "yes"}).status_code == 302
    again = staff.post(_url(enrollment), {**form, "confirm": "yes"}, follow=True)
    assert "already recorded" in again.content.decode()
    assert LecturePayment.objects.get().amount == Decimal("20.00")


@pytest.mark.django_db
def test_a_refund_at_the_door_sent_again_answers_the_refund_instead_of_refusing_it(personas):
    """Once refunded, nothing is left to refund: the same refund sent again is answered, not refused as too much."""
    enrollment = _sliding_lecture_registration()
    pay = {"actor": personas.front_desk, "enrollment": enrollment, "kind": "fee", "method": "cash"}
    lecture_payment_record(**pay, amount=Decimal("20.00"))
    key = uuid.uuid4()
    refund = lecture_payment_record(**pay, amount=Decimal("-20.00"), submission_key=key)
    again = lecture_payment_record(**pay, amount=Decimal("-20.00"), submission_key=key)
    assert (again.pk, again.replayed, refund.replayed) == (refund.pk, True, False)
    assert LecturePayment.objects.count() == 2


@pytest.mark.django_db
def test_the_same_key_with_another_payment_or_registration_is_refused(personas):
    enrollment = _sliding_lecture_registration()
    other = register(enrollment.program, name="Sam Visitor", email="sam@example.test", fee_tier="reduced")
    key = uuid.uuid4()
    pay = {"actor": personas.front_desk, "enrollment": enrollment, "kind": "fee", "method": "cash"}
    lecture_payment_record(**pay, amount=Decimal("20.00"), submission_key=key)
    with pytest.raises(Conflict, match=r"already recorded \$20\.00 \(lecture fee, cash\)"):
        lecture_payment_record(**{**pay, "method": "check"}, amount=Decimal("20.00"), submission_key=key)
    with pytest.raises(Conflict, match="another registration"):
        lecture_payment_record(**{**pay, "enrollment": other}, amount=Decimal("20.00"), submission_key=key)
    assert LecturePayment.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_same_door_payment_sent_twice_at_once_is_recorded_once(personas, login):
    enrollment = _sliding_lecture_registration()
    first_tab, second_tab = login(personas.billing), login(personas.billing)
    form = {"kind": "fee", "amount": "20.00", "method": "cash", "submission_key": str(uuid.uuid4()), "confirm": "yes"}
    answers = at_once(lambda: first_tab.post(_url(enrollment), form), lambda: second_tab.post(_url(enrollment), form))
    assert [answer.status_code for answer in answers] == [302, 302], answers
    assert LecturePayment.objects.get().amount == Decimal("20.00")
