"""Questionnaires go out before sessions, are answered in the portal and flag risk for the therapist."""

import datetime as dt

import pytest
import time_machine

from apps.core import clock
from apps.notifications.models import Message
from apps.notifications.rendering import message_render
from apps.outcomes.models import QuestionnaireAssignment, QuestionnaireResponse
from apps.outcomes.tasks import questionnaires_send_for_tomorrow
from apps.scheduling.models import Appointment, AppointmentStatus
from tests.factories import AppointmentFactory
from tests.places import pacific_office

pytestmark = pytest.mark.django_db


def test_tomorrows_sessions_get_questionnaires_and_one_email(personas, tomorrow_session):
    assert questionnaires_send_for_tomorrow() == 1
    assigned = QuestionnaireAssignment.objects.filter(appointment=tomorrow_session)
    assert sorted(a.instrument for a in assigned) == ["gad7", "pain_nrs", "pcs", "phq15", "phq9"]
    assert {a.due_at for a in assigned} == {tomorrow_session.start}
    message = Message.objects.get(template="questionnaire_due")
    assert (message.patient, message.to_address) == (personas.patient, personas.patient.email)
    assert set(message.context) == {"patient_first_name", "start", "time_zone", "count", "portal_url"}
    assert message.context["portal_url"].endswith("/portal/questionnaires/")
    assert questionnaires_send_for_tomorrow() == 0
    assert Message.objects.filter(template="questionnaire_due").count() == 1


def test_the_email_tells_the_session_time_on_its_office_clock(personas, tomorrow_session):
    office = pacific_office()
    Appointment.objects.filter(pk=tomorrow_session.pk).update(location=office, room=None)
    questionnaires_send_for_tomorrow()
    message = Message.objects.get(template="questionnaire_due")
    rendered = message_render(template="questionnaire_due", context=message.context, channel="email")
    local = tomorrow_session.start.astimezone(office.zone)
    assert f"at {local:%-I:%M %p} Los Angeles time" in rendered.text


def test_phq9_and_gad7_are_sent_fortnightly_and_pain_every_session(personas, tomorrow_session, answer_all):
    questionnaires_send_for_tomorrow()
    answer_all()
    # A week later at the same local time, sent for at noon the day before: a DST change between them moves neither.
    local_start = tomorrow_session.start.astimezone(clock.clinic_tz())
    next_day = local_start.date() + dt.timedelta(days=7)
    start = clock.local_datetime(next_day, local_start.time())
    next_week = AppointmentFactory(
        therapist=personas.therapist,
        patient=personas.patient,
        start=start,
        end=start + (tomorrow_session.end - tomorrow_session.start),
    )
    with time_machine.travel(clock.local_datetime(next_day - dt.timedelta(days=1), dt.time(12, 0))):
        questionnaires_send_for_tomorrow()
    assert [a.instrument for a in QuestionnaireAssignment.objects.filter(appointment=next_week)] == ["pain_nrs"]


def test_a_questionnaire_left_unanswered_is_asked_again_at_the_next_session(personas, tomorrow_session):
    questionnaires_send_for_tomorrow()
    local_start = tomorrow_session.start.astimezone(clock.clinic_tz())
    next_day = local_start.date() + dt.timedelta(days=7)
    start = clock.local_datetime(next_day, local_start.time())
    next_week = AppointmentFactory(
        therapist=personas.therapist, patient=personas.patient, start=start, end=start + dt.timedelta(minutes=45)
    )
    with time_machine.travel(clock.local_datetime(next_day - dt.timedelta(days=1), dt.time(12, 0))):
        questionnaires_send_for_tomorrow()
    assert {"phq9", "gad7"} <= {a.instrument for a in QuestionnaireAssignment.objects.filter(appointment=next_week)}


def test_patients_without_a_portal_account_or_with_cancelled_sessions_get_nothing(personas, tomorrow_session):
    personas.patient.user = None
    personas.patient.save()
    assert questionnaires_send_for_tomorrow() == 0
    other = AppointmentFactory(
        therapist=personas.other_therapist,
        patient=personas.other_patient,
        start=tomorrow_session.start,
        end=tomorrow_session.end,
        status=AppointmentStatus.CANCELLED,
    )
    assert questionnaires_send_for_tomorrow() == 0
    assert not QuestionnaireAssignment.objects.filter(appointment=other).exists()


def test_the_patient_answers_in_the_portal(personas, login, tomorrow_session):
    questionnaires_send_for_tomorrow()
    client = login(personas.patient_user)
    assert "5 questionnaires" in client.get("/portal/").content.decode()
    phq9 = QuestionnaireAssignment.objects.get(instrument="phq9")
    page = client.get(f"/portal/questionnaires/{phq9.pk}/").content.decode()
    assert "Little interest or pleasure in doing things" in page
    response = client.post(f"/portal/questionnaires/{phq9.pk}/", {f"item_{i}": "1" for i in range(1, 9)})
    assert response.status_code == 422 and "Choose one of the answers." in response.content.decode()
    answers = {f"item_{i}": "2" for i in range(1, 9)} | {"item_9": "0"}
    assert client.post(f"/portal/questionnaires/{phq9.pk}/", answers).status_code == 302
    response = QuestionnaireResponse.objects.get()
    assert (response.score, response.severity, response.flagged, response.answers[0]) == (
        16,
        "moderately_severe",
        False,
        2,
    )
    phq9.refresh_from_db()
    assert phq9.status == "completed"
    assert client.get(f"/portal/questionnaires/{phq9.pk}/").status_code == 200  # says when the answers were sent


def test_a_positive_item_9_flags_the_chart_and_tells_the_therapist_without_detail(personas, login, tomorrow_session):
    questionnaires_send_for_tomorrow()
    phq9 = QuestionnaireAssignment.objects.get(instrument="phq9")
    api = login(personas.patient_user, api=True)
    response = api.post(
        f"/api/questionnaire-assignments/{phq9.pk}/answer/", {"answers": [0, 0, 0, 0, 0, 0, 0, 0, 2]}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["flagged"] is True
    message = Message.objects.get(template="measure_flag")
    assert message.recipient_user == personas.therapist
    assert message.context == {
        "patient_initials": personas.patient.initials,
        "chart_url": f"http://localhost:8000/notes/patients/{personas.patient.pk}/chart/",
    }
    therapist = login(personas.therapist)
    chart = therapist.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()
    assert "Needs review" in chart
    flagged = QuestionnaireResponse.objects.get()
    assert login(personas.other_therapist).post(f"/outcomes/flags/{flagged.pk}/review/").status_code == 404
    assert "Mark reviewed…" in chart
    asked = therapist.post(f"/outcomes/flags/{flagged.pk}/review/")
    assert asked.status_code == 200 and "Mark this PHQ-9 reviewed?" in asked.content.decode()
    assert 'name="confirmed" value="yes"' in asked.content.decode()
    flagged.refresh_from_db()
    assert flagged.flag_reviewed_at is None  # the first press only asks
    therapist.post(f"/outcomes/flags/{flagged.pk}/review/", {"confirmed": "yes"})
    flagged.refresh_from_db()
    assert flagged.flag_reviewed_by == personas.therapist
    assert "Needs review" not in therapist.get(f"/notes/patients/{personas.patient.pk}/chart/").content.decode()


def test_answers_are_checked_and_given_once(personas, login, tomorrow_session):
    questionnaires_send_for_tomorrow()
    gad7 = QuestionnaireAssignment.objects.get(instrument="gad7")
    api = login(personas.patient_user, api=True)
    response = api.post(f"/api/questionnaire-assignments/{gad7.pk}/answer/", {"answers": [1, 1, 5]}, format="json")
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"item_3", "item_4", "item_5", "item_6", "item_7"}
    ok = api.post(f"/api/questionnaire-assignments/{gad7.pk}/answer/", {"answers": [1] * 7}, format="json")
    assert ok.status_code == 201 and ok.json()["score"] == 7
    again = api.post(f"/api/questionnaire-assignments/{gad7.pk}/answer/", {"answers": [1] * 7}, format="json")
    assert again.status_code == 404


def test_questionnaires_close_when_the_session_ends(personas, login, tomorrow_session):
    questionnaires_send_for_tomorrow()
    pain = QuestionnaireAssignment.objects.get(instrument="pain_nrs")
    with time_machine.travel(tomorrow_session.end + dt.timedelta(minutes=1)):
        client = login(personas.patient_user)
        assert client.get(f"/portal/questionnaires/{pain.pk}/").status_code == 404


@pytest.mark.parametrize("persona", ["other_patient_user", "front_desk", "therapist"])
def test_only_the_patient_answers_their_questionnaire(personas, login, tomorrow_session, persona):
    questionnaires_send_for_tomorrow()
    pain = QuestionnaireAssignment.objects.get(instrument="pain_nrs")
    api = login(getattr(personas, persona), api=True)
    response = api.post(f"/api/questionnaire-assignments/{pain.pk}/answer/", {"answers": [3]}, format="json")
    assert response.status_code in {403, 404}
    assert not QuestionnaireResponse.objects.exists()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("therapist", 200), ("patient_user", 200), ("other_therapist", 404), ("front_desk", 404), ("billing", 404)],
)
def test_who_reads_a_patients_scores(personas, login, tomorrow_session, persona, expected):
    response = login(getattr(personas, persona), api=True).get(
        "/api/measure-responses/", {"patient": personas.patient.pk}
    )
    assert response.status_code == expected


def test_the_measures_endpoint_describes_the_instruments(personas, login):
    rows = login(personas.therapist, api=True).get("/api/measures/").json()
    assert [row["code"] for row in rows] == ["pain_nrs", "phq9", "gad7", "phq15", "pcs"]
    phq9 = rows[1]
    assert len(phq9["items"]) == 9 and phq9["max_score"] == 27
    assert phq9["bands"][3] == {"min": 15, "max": 19, "severity": "moderately_severe", "label": "Moderately severe"}
    phq15, pcs = rows[3], rows[4]
    assert (len(phq15["items"]), phq15["max_score"], phq15["optional_items"]) == (15, 30, [4])
    assert (len(pcs["items"]), pcs["max_score"], pcs["optional_items"]) == (13, 52, [])
    assert pcs["subscales"] == [
        {"key": "rumination", "label": "Rumination", "items": [8, 9, 10, 11]},
        {"key": "magnification", "label": "Magnification", "items": [6, 7, 13]},
        {"key": "helplessness", "label": "Helplessness", "items": [1, 2, 3, 4, 5, 12]},
    ]
