"""PHQ-15 and the Pain Catastrophizing Scale, scored as published (worked examples, band edges, subscales), answered in
the portal and through the API, and sent every four weeks."""

import datetime as dt

import pytest
import time_machine
from django.db import IntegrityError, transaction

from apps.core import clock
from apps.core.errors import Unprocessable
from apps.outcomes.instruments import INSTRUMENTS, PCS, PHQ15
from apps.outcomes.models import QuestionnaireAssignment, QuestionnaireResponse, Severity
from apps.outcomes.services import questionnaire_assign
from apps.outcomes.tasks import questionnaires_send_for_tomorrow
from tests.factories import AppointmentFactory

NOT_APPLICABLE = None  # PHQ-15 item 4 for someone without periods


def phq15(**items) -> list:
    """Fifteen answers, all 0 but the 1-based items given (item_4=None leaves the menstrual item out)."""
    answers = [0] * 15
    for name, value in items.items():
        answers[int(name.removeprefix("item_")) - 1] = value
    return answers


@pytest.mark.parametrize(
    ("answers", "total", "severity"),
    [
        ([0] * 15, 0, "minimal"),
        ([1, 1, 1, 1] + [0] * 11, 4, "minimal"),
        ([1] * 5 + [0] * 10, 5, "low"),
        ([2, 2, 2, 2, 1] + [0] * 10, 9, "low"),
        ([2] * 5 + [0] * 10, 10, "medium"),
        ([2] * 7 + [0] * 8, 14, "medium"),
        ([2] * 7 + [1] + [0] * 7, 15, "high"),
        ([2] * 15, 30, "high"),
    ],
)
def test_phq15_totals_and_bands(answers, total, severity):
    score = PHQ15.score(answers)
    assert (score.total, score.severity, score.flagged, score.subscales) == (total, severity, False, {})


def test_phq15_leaves_the_menstrual_item_out_when_it_does_not_apply_without_prorating():
    # A man bothered a lot by every other symptom: 14 items x 2 = 28, read against the same bands.
    every_other = [2] * 15
    every_other[3] = NOT_APPLICABLE
    assert (PHQ15.score(every_other).total, PHQ15.score(every_other).severity) == (28, "high")
    # Band edges hold with the item left out: 4 is still minimal, 5 low.
    assert PHQ15.score(phq15(item_1=2, item_2=2, item_4=NOT_APPLICABLE)).severity == "minimal"
    assert PHQ15.score(phq15(item_1=2, item_2=2, item_3=1, item_4=NOT_APPLICABLE)).severity == "low"
    assert PHQ15.score(phq15(item_4=NOT_APPLICABLE)).total == 0


@pytest.mark.parametrize(
    ("answers", "bad"),
    [
        (phq15(item_1=None), {"item_1"}),  # only item 4 may be left out
        (phq15(item_4=3), {"item_4"}),  # answers are 0-2
        ([0] * 14, {"item_15"}),  # every position is answered, item 4 with null when it does not apply
        ([0] * 16, {"answers"}),
    ],
)
def test_phq15_refuses_answers_outside_its_published_form(answers, bad):
    with pytest.raises(Unprocessable) as caught:
        PHQ15.score(answers)
    assert set(caught.value.fields) == bad


def pcs(*answers: int) -> list[int]:
    assert len(answers) == 13
    return list(answers)


@pytest.mark.parametrize(
    ("answers", "total", "subscales", "severity"),
    [
        (pcs(*[0] * 13), 0, {"rumination": 0, "magnification": 0, "helplessness": 0}, "below_clinical"),
        (pcs(*[4] * 13), 52, {"rumination": 16, "magnification": 12, "helplessness": 24}, "clinically_relevant"),
        # Worked example: helplessness 3+2+3+2+1+2 (items 1-5, 12) = 13; magnification 2+1+1 (6, 7, 13) = 4;
        # rumination 4+3+3+4 (8-11) = 14; total 31, at or above 30.
        (
            pcs(3, 2, 3, 2, 1, 2, 1, 4, 3, 3, 4, 2, 1),
            31,
            {"rumination": 14, "magnification": 4, "helplessness": 13},
            "clinically_relevant",
        ),
        # The clinical threshold: 29 is below it, 30 is clinically relevant.
        (
            pcs(3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2),
            29,
            {"rumination": 8, "magnification": 6, "helplessness": 15},
            "below_clinical",
        ),
        (
            pcs(3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3),
            30,
            {"rumination": 8, "magnification": 7, "helplessness": 15},
            "clinically_relevant",
        ),
        # Each subscale from its own items only.
        (
            pcs(0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0),
            4,
            {"rumination": 4, "magnification": 0, "helplessness": 0},
            "below_clinical",
        ),
        (
            pcs(0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1),
            3,
            {"rumination": 0, "magnification": 3, "helplessness": 0},
            "below_clinical",
        ),
        (
            pcs(1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0),
            6,
            {"rumination": 0, "magnification": 0, "helplessness": 6},
            "below_clinical",
        ),
    ],
)
def test_pcs_totals_subscales_and_the_clinical_threshold(answers, total, subscales, severity):
    score = PCS.score(answers)
    assert (score.total, score.subscales, score.severity) == (total, subscales, severity)
    assert sum(score.subscales.values()) == score.total


def test_pcs_items_are_answered_0_to_4_and_none_may_be_left_out():
    with pytest.raises(Unprocessable) as caught:
        PCS.score(pcs(5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)[:12] + [None])
    assert set(caught.value.fields) == {"item_1", "item_13"}


def test_maximum_scores_and_labels():
    assert (PHQ15.max_score, PCS.max_score) == (30, 52)
    assert PHQ15.band_label("medium") == "Medium" and PCS.band_label("clinically_relevant") == "Clinically relevant"


def test_every_band_of_every_instrument_is_a_stored_severity():
    bands = {key for instrument in INSTRUMENTS.values() for _low, _high, key, _label in instrument.bands}
    assert bands <= set(Severity.values)


@pytest.mark.django_db
def test_the_database_keeps_each_total_inside_its_instruments_range(personas):
    base = {"patient": personas.patient, "answers": [], "severity": "high", "submitted_at": clock.now()}
    QuestionnaireResponse.objects.create(instrument="pcs", score=52, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireResponse.objects.create(instrument="pcs", score=53, **base)
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireResponse.objects.create(instrument="phq15", score=31, **base)


@pytest.fixture
def assigned(personas, tomorrow_session):
    def _assigned(code: str) -> QuestionnaireAssignment:
        return questionnaire_assign(
            patient=personas.patient, instrument=code, due_at=tomorrow_session.start, source_meeting=tomorrow_session
        )[0]

    return _assigned


@pytest.mark.django_db
def test_a_patient_answers_phq15_in_the_portal_leaving_out_the_menstrual_item(personas, login, assigned):
    assignment = assigned("phq15")
    client = login(personas.patient_user)
    page = client.get(f"/portal/questionnaires/{assignment.pk}/").content.decode()
    assert page.count("Does not apply to me") == 1 and "Menstrual cramps" in page
    answers = {f"item_{i}": "1" for i in range(1, 16)} | {"item_4": "not_applicable"}
    assert client.post(f"/portal/questionnaires/{assignment.pk}/", answers).status_code == 302
    response = QuestionnaireResponse.objects.get()
    assert (response.score, response.severity, response.answers[3]) == (14, "medium", None)


@pytest.mark.django_db
def test_the_api_takes_null_for_the_menstrual_item_only_and_reports_pcs_subscales(personas, login, assigned):
    api = login(personas.patient_user, api=True)
    phq = assigned("phq15")
    refused = api.post(
        f"/api/questionnaire-assignments/{phq.pk}/answer/", {"answers": phq15(item_2=None)}, format="json"
    )
    assert refused.status_code == 422 and set(refused.json()["error"]["fields"]) == {"item_2"}
    answered = api.post(
        f"/api/questionnaire-assignments/{phq.pk}/answer/",
        {"answers": phq15(item_1=2, item_4=None, item_15=2)},
        format="json",
    )
    assert answered.status_code == 201
    assert (answered.json()["score"], answered.json()["severity_label"]) == (4, "Minimal")
    scale = assigned("pcs")
    body = api.post(
        f"/api/questionnaire-assignments/{scale.pk}/answer/",
        {"answers": pcs(3, 2, 3, 2, 1, 2, 1, 4, 3, 3, 4, 2, 1)},
        format="json",
    ).json()
    assert (body["score"], body["severity"], body["severity_label"]) == (
        31,
        "clinically_relevant",
        "Clinically relevant",
    )
    assert body["subscales"] == {"rumination": 14, "magnification": 4, "helplessness": 13}


@pytest.mark.django_db
def test_phq15_and_pcs_go_out_every_four_weeks(personas, tomorrow_session, answer_all):
    questionnaires_send_for_tomorrow()
    answer_all()
    assert {"phq15", "pcs"} <= {
        a.instrument for a in QuestionnaireAssignment.objects.filter(appointment=tomorrow_session)
    }

    def session_in(days: int):
        return AppointmentFactory(
            therapist=personas.therapist,
            patient=personas.patient,
            start=tomorrow_session.start + dt.timedelta(days=days),
            end=tomorrow_session.end + dt.timedelta(days=days),
        )

    asked = {}
    for days in (7, 14, 21, 28):
        session = session_in(days)
        # The day before the session at noon, whatever the hour now: the job asks for tomorrow's sessions.
        eve = clock.local_datetime(
            session.start.astimezone(clock.clinic_tz()).date() - dt.timedelta(days=1), dt.time(12)
        )
        with time_machine.travel(eve):
            questionnaires_send_for_tomorrow()
            answer_all()
        asked[days] = {a.instrument for a in QuestionnaireAssignment.objects.filter(appointment=session)}
    assert asked == {
        7: {"pain_nrs"},
        14: {"pain_nrs", "phq9", "gad7"},
        21: {"pain_nrs"},
        28: {"pain_nrs", "phq9", "gad7", "phq15", "pcs"},
    }


@pytest.mark.django_db
def test_an_evening_session_at_a_western_office_is_asked_about_the_day_before_it(personas):
    """9:30 PM in Pasadena is past midnight in New York: the questionnaire goes out the day before the session's
    own day, not on the morning of it."""
    from apps.core.time_zones import zone_or_none
    from tests.places import pacific_office

    pasadena = pacific_office()
    day = clock.local_now().date() + dt.timedelta(days=10)
    start = clock.local_datetime(day, dt.time(21, 30), zone_or_none(pasadena.time_zone))
    session = AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        location=pasadena,
        start=start,
        end=start + dt.timedelta(minutes=45),
    )
    with time_machine.travel(clock.local_datetime(day - dt.timedelta(days=1), dt.time(12))):
        questionnaires_send_for_tomorrow()
    assert QuestionnaireAssignment.objects.filter(appointment=session).exists()
