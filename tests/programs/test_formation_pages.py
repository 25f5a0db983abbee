"""Pages and API for programs that form before they run, and the work queue."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import clock
from apps.notifications.models import Message
from apps.programs.models import Enrollment, EnrollmentStatus, GroupProgram, ProgramStage, StrandedEnrollment
from apps.programs.services.formation import interest_register

from .formation_helpers import proposal, proposed_program

pytestmark = pytest.mark.django_db


def api_proposal(**extra) -> dict:
    data = proposal(**extra)
    data["lead_facilitator"] = data["lead_facilitator"].pk
    data["service_type"] = data["service_type"].pk
    for key, value in list(data.items()):
        if isinstance(value, dt.date | dt.time):
            data[key] = value.isoformat()
    return data


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"minimum_to_launch": 9}, "minimum_to_launch"),
        ({"decision_on": (clock.local_now().date() - dt.timedelta(days=2)).isoformat()}, "decision_on"),
    ],
)
def test_the_api_refuses_a_bad_proposal_with_a_422_naming_the_field(personas, login, changes, field):
    client = login(personas.front_desk, api=True)
    response = client.post("/api/programs/", {**api_proposal(), **changes}, format="json")
    assert response.status_code == 422, response.content
    assert field in str(response.json())
    assert not GroupProgram.objects.exists()


def test_the_api_proposes_joins_launches_and_refuses_a_second_launch(personas, login):
    client = login(personas.front_desk, api=True)
    created = client.post("/api/programs/", api_proposal(), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["stage"] == "proposed"
    pk = created.json()["id"]
    joined = login(personas.patient_user, api=True).post(f"/api/programs/{pk}/enroll/", {}, format="json")
    assert joined.status_code == 201 and joined.json()["status"] == "waitlisted"
    again = login(personas.patient_user, api=True).post(f"/api/programs/{pk}/enroll/", {}, format="json")
    assert again.status_code == 409
    assert login(personas.patient_user, api=True).post(f"/api/programs/{pk}/launch/", {}).status_code == 403
    launched = client.post(f"/api/programs/{pk}/launch/", {}, format="json")
    assert launched.status_code == 200 and launched.json()["stage"] == "launched"
    assert client.post(f"/api/programs/{pk}/launch/", {}, format="json").status_code == 409
    assert client.post(f"/api/programs/{pk}/call-off/", {"reason": "x"}, format="json").status_code == 409


def test_the_api_moves_the_decision_date_and_calls_off(personas, login):
    program = proposed_program(actor=personas.front_desk)
    client = login(personas.front_desk, api=True)
    late = (program.first_meeting_on + dt.timedelta(days=1)).isoformat()
    assert client.post(f"/api/programs/{program.pk}/decision/", {"decision_on": late}).status_code == 422
    moved = (program.decision_on + dt.timedelta(days=2)).isoformat()
    assert client.post(f"/api/programs/{program.pk}/decision/", {"decision_on": moved}).json()["decision_on"] == moved
    assert client.post(f"/api/programs/{program.pk}/call-off/", {"reason": ""}).status_code == 400
    off = client.post(f"/api/programs/{program.pk}/call-off/", {"reason": "Facilitator unwell."})
    assert off.status_code == 200 and off.json()["stage"] == "not_launched"


def test_staff_propose_from_the_page_and_bad_dates_are_form_errors(personas, login):
    client = login(personas.front_desk)
    data = proposal()
    form = {k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items() if v is not None}
    form.update(is_telehealth="on", kind="group", interval_weeks=1)
    form["decision_on"] = (clock.local_now().date() - dt.timedelta(days=1)).isoformat()
    refused = client.post("/programs/new/", form)
    assert refused.status_code == 422 and b"decision date is in the past" in refused.content
    assert b'id="error-summary"' in refused.content and not GroupProgram.objects.exists()
    form["decision_on"] = data["decision_on"].isoformat()
    created = client.post("/programs/new/", form)
    assert created.status_code == 302
    program = GroupProgram.objects.get()
    assert program.stage == ProgramStage.PROPOSED and program.meetings.count() == 0


def test_a_new_program_sent_empty_is_refused_with_422_and_none_made(personas, login):
    refused = login(personas.front_desk).post("/programs/new/", {})
    assert refused.status_code == 422
    assert b'id="error-summary"' in refused.content and b"This field is required." in refused.content
    assert not GroupProgram.objects.exists()


def test_launch_and_call_off_ask_for_confirmation_first(personas, login, make_patients):
    program = proposed_program(actor=personas.front_desk)
    client = login(personas.front_desk)
    page = client.get(f"/programs/{program.pk}/forming/launch/")
    assert page.status_code == 200 and b"Launch and offer seats" in page.content
    program.refresh_from_db()
    assert program.stage == ProgramStage.PROPOSED
    refused = client.post(f"/programs/{program.pk}/forming/call-off/", {})
    assert refused.status_code == 422 and b'id="error-summary"' in refused.content
    assert client.post(f"/programs/{program.pk}/forming/launch/").status_code == 302
    program.refresh_from_db()
    assert program.stage == ProgramStage.LAUNCHED
    assert login(personas.therapist).get(f"/programs/{program.pk}/forming/launch/").status_code == 403


def test_on_the_first_meetings_day_the_page_offers_no_launch_and_says_what_can_be_done(personas, login):
    program = proposed_program(actor=personas.front_desk)
    today = clock.local_now().date()
    GroupProgram.objects.filter(pk=program.pk).update(first_meeting_on=today, decision_on=today)
    page = login(personas.front_desk).get(f"/programs/{program.pk}/").content.decode()
    assert f"/programs/{program.pk}/forming/launch/" not in page
    assert f"/programs/{program.pk}/forming/decision/" not in page
    assert "The first meeting is not ahead any more" in page and f"/programs/{program.pk}/forming/call-off/" in page
    client = login(personas.front_desk)
    client.post(f"/programs/{program.pk}/forming/launch/")
    program.refresh_from_db()
    assert program.stage == ProgramStage.PROPOSED


def test_the_program_page_shows_the_interest_list_in_a_fixed_number_of_queries(
    personas, login, make_patients, django_assert_max_num_queries
):
    program = proposed_program(actor=personas.front_desk, capacity=8, minimum_to_launch=6)
    for patient in make_patients(5):
        interest_register(program=program, patient=patient, actor=patient.user)
    client = login(personas.front_desk)
    with django_assert_max_num_queries(13):
        response = client.get(f"/programs/{program.pk}/")
    assert b"5 of 6 needed" in response.content
    assert b"Interest list (5)" in response.content


def test_the_program_list_marks_a_proposed_program(personas, login):
    program = proposed_program(actor=personas.front_desk)
    page = login(personas.front_desk).get("/programs/").content.decode()
    assert f'{program.title}</a> <span class="badge">Proposed</span>' in page
    program.stage = ProgramStage.NOT_LAUNCHED
    program.save(update_fields=["stage"])
    assert f'{program.title}</a> <span class="badge">Did not launch</span>' in (
        login(personas.front_desk).get("/programs/").content.decode()
    )


def test_the_portal_lists_proposed_programs_and_the_patients_place(personas, login):
    program = proposed_program(actor=personas.front_desk)
    client = login(personas.patient_user)
    assert b"Join the interest list" in client.get("/portal/programs/").content
    assert client.post(f"/portal/programs/{program.pk}/enroll/").status_code == 302
    page = client.get("/portal/programs/").content
    assert b"#1</strong> on the interest list" in page
    enrollment = Enrollment.objects.get(program=program)
    assert enrollment.status == EnrollmentStatus.WAITLISTED


@pytest.fixture
def queue(personas, make_patients):
    program = proposed_program(actor=personas.front_desk, capacity=10, minimum_to_launch=9)
    items = []
    for patient in make_patients(6):
        enrollment = interest_register(program=program, patient=patient, actor=patient.user)
        items.append(StrandedEnrollment.objects.create(enrollment=enrollment, reason="No news for 21 days."))
    return items


def test_the_work_queue_lists_open_items_in_a_fixed_number_of_queries(
    personas, login, queue, django_assert_max_num_queries
):
    client = login(personas.front_desk)
    with django_assert_max_num_queries(8):
        response = client.get("/programs/work-queue/")
    assert response.status_code == 200
    assert response.content.count(b"/resolve/") == len(queue)
    api = login(personas.front_desk, api=True)
    with django_assert_max_num_queries(5):
        assert len(api.get("/api/programs/work-queue/").json()["results"]) == 6


@pytest.mark.parametrize(("persona", "expected"), [("therapist", 403), ("billing", 403), ("patient_user", 403)])
def test_who_may_not_open_the_work_queue(personas, login, persona, expected):
    assert login(getattr(personas, persona)).get("/programs/work-queue/").status_code == expected


def test_resolving_from_the_page_confirms_and_needs_a_note(personas, login, queue):
    client = login(personas.front_desk)
    item = queue[0]
    assert client.get(f"/programs/work-queue/{item.pk}/resolve/").status_code == 200
    for empty in ({"note": ""}, {}):
        refused = client.post(f"/programs/work-queue/{item.pk}/resolve/", empty)
        assert refused.status_code == 422 and b'id="error-summary"' in refused.content
    item.refresh_from_db()
    assert item.resolved_at is None
    done = client.post(f"/programs/work-queue/{item.pk}/resolve/", {"note": "Called; joined the next cohort."})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.resolved_by == personas.front_desk
    api = login(personas.front_desk, api=True)
    assert api.post(f"/api/programs/work-queue/{queue[1].pk}/resolve/", {"note": ""}).status_code == 400
    assert api.post(f"/api/programs/work-queue/{queue[1].pk}/resolve/", {"note": "Emailed."}).status_code == 200


def test_the_minimum_changes_only_while_proposed_and_within_capacity(personas, login, make_patients):
    program = proposed_program(actor=personas.front_desk, capacity=3, minimum_to_launch=3)
    listed = [interest_register(program=program, patient=p, actor=p.user) for p in make_patients(2)]
    client = login(personas.front_desk, api=True)
    assert client.patch(f"/api/programs/{program.pk}/", {"minimum_to_launch": 4}).status_code == 422
    assert client.patch(f"/api/programs/{program.pk}/", {"minimum_to_launch": 2}).json()["minimum_to_launch"] == 2
    told = Message.objects.filter(template="interest_minimum_reached").values_list("subject_id", flat=True)
    assert sorted(told) == sorted(str(e.pk) for e in listed)
    client.post(f"/api/programs/{program.pk}/launch/", {})
    assert client.patch(f"/api/programs/{program.pk}/", {"minimum_to_launch": 2}).status_code == 422


def test_a_proposed_programs_capacity_is_refused_below_its_minimum_naming_the_capacity(personas, login):
    program = proposed_program(actor=personas.front_desk, capacity=8, minimum_to_launch=5)
    page = login(personas.front_desk).post(f"/programs/{program.pk}/capacity/", {"capacity": 4})
    assert (
        page.status_code == 422 and "The capacity cannot go below the minimum to launch (5)." in page.content.decode()
    )

    api = login(personas.front_desk, api=True)
    refused = api.patch(f"/api/programs/{program.pk}/", {"title": "Renamed", "capacity": 4}, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["fields"] == {"capacity": ["At least 5."]}
    program.refresh_from_db()
    assert (program.title, program.capacity) == ("Pain recovery group, spring cohort", 8)  # nothing half-saved

    both = api.patch(f"/api/programs/{program.pk}/", {"capacity": 4, "minimum_to_launch": 3}, format="json")
    assert both.status_code == 200 and (both.json()["capacity"], both.json()["minimum_to_launch"]) == (4, 3)


def test_the_menu_shows_the_open_work_queue_count_to_the_front_desk(personas, login, queue):
    from apps.accounts.navigation import navigation_for

    entry = next(e for e in navigation_for(personas.front_desk) if e["label"] == "Work queue")
    assert entry["badge"] == len(queue)
    assert "Work queue" not in [e["label"] for e in navigation_for(personas.therapist)]


def test_the_front_desks_menu_reads_all_its_counts_in_one_query(personas, queue):
    """The menu is on every staff page: the work queue, the referrals and the unread messages are counted together."""
    from apps.accounts.navigation import navigation_for

    navigation_for(personas.front_desk)  # the permissions are cached from here on, as on every later page
    with CaptureQueriesContext(connection) as captured:
        badges = {entry["label"]: entry["badge"] for entry in navigation_for(personas.front_desk)}
    assert len(captured.captured_queries) == 1
    assert (badges["Work queue"], badges["Referrals"], badges["Inbox"]) == (len(queue), 0, 0)
    StrandedEnrollment.objects.filter(pk=queue[0].pk).update(
        resolved_at=clock.now(), resolution_note="Called; still interested."
    )
    assert next(e for e in navigation_for(personas.front_desk) if e["label"] == "Work queue")["badge"] == len(queue) - 1
