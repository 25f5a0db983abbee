"""The staff page for working hours and time off: who may use it, and that it answers as the API does."""

import datetime as dt

import pytest
from django.urls import reverse

from apps.scheduling import services
from apps.scheduling.models import Location, TimeOff, Weekday, WorkingHours
from tests.factories import TherapistFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def _page(clinic):
    return reverse("scheduling:availability_therapist", args=[clinic.therapist.pk])


def _hours_form(weekday=Weekday.SATURDAY, start="09:00", end="12:00") -> dict:
    return {"kind": "hours", "hours-weekday": weekday, "hours-start_time": start, "hours-end_time": end}


@pytest.fixture
def block(clinic):
    """The therapist's Monday hours (08:00-20:00, from the clinic fixture)."""
    return WorkingHours.objects.get(therapist=clinic.therapist, weekday=Weekday.MONDAY)


@pytest.fixture
def time_off(clinic):
    return services.time_off_save(
        actor=clinic.front_desk,
        therapist=clinic.therapist,
        start=at(MONDAY, 0),
        end=at(MONDAY + dt.timedelta(days=1), 0),
    )


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("admin", 200),
        ("front_desk", 200),
        ("therapist", 200),
        ("other_therapist", 403),
        ("billing", 403),
        ("patient_user", 403),
    ],
)
def test_a_therapists_page_opens_for_front_desk_admins_and_themselves(clinic, login, who, expected):
    assert login(getattr(clinic, who)).get(_page(clinic)).status_code == expected


@pytest.mark.parametrize("who", ["admin", "front_desk", "therapist"])
def test_allowed_roles_add_working_hours_on_the_page(clinic, login, who):
    response = login(getattr(clinic, who)).post(_page(clinic), _hours_form())
    assert response.status_code == 302 and response.url == _page(clinic)
    assert WorkingHours.objects.filter(therapist=clinic.therapist, weekday=Weekday.SATURDAY).exists()


@pytest.mark.parametrize("who", ["other_therapist", "billing", "patient_user"])
def test_other_roles_cannot_add_working_hours(clinic, login, who):
    assert login(getattr(clinic, who)).post(_page(clinic), _hours_form()).status_code == 403
    assert not WorkingHours.objects.filter(weekday=Weekday.SATURDAY).exists()


def test_signed_out_visitors_are_sent_to_sign_in(clinic, client):
    response = client.get(_page(clinic))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_the_overview_lists_every_therapist_for_the_front_desk_and_sends_a_therapist_to_their_own(clinic, login):
    url = reverse("scheduling:availability")
    page = login(clinic.front_desk).get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert clinic.therapist.full_name in html and "Mon 8:00 AM–8:00 PM" in html
    own = login(clinic.therapist).get(url, {"therapist": clinic.other_therapist.pk})
    assert own.status_code == 302 and own.url == _page(clinic)
    chosen = login(clinic.admin).get(url, {"therapist": clinic.therapist.pk})
    assert chosen.url == _page(clinic)
    for who in ("billing", "patient_user"):
        assert login(getattr(clinic, who)).get(url).status_code == 403


def test_the_overview_names_the_office_and_its_clock_of_hours_kept_at_another_office(clinic, login):
    west = Location.objects.create(name="West office", time_zone="America/Los_Angeles")
    WorkingHours.objects.create(
        therapist=clinic.therapist, weekday=Weekday.SATURDAY, start_time=dt.time(9), end_time=dt.time(17), location=west
    )
    html = login(clinic.front_desk).get(reverse("scheduling:availability")).content.decode()
    assert "Sat 9:00 AM–5:00 PM · West office, Los Angeles time</span>" in html
    assert "Mon 8:00 AM–8:00 PM</span>" in html  # the main office's hours are the clinic's clock, named nowhere


def test_the_overview_takes_the_same_queries_for_many_therapists(clinic, login, django_assert_max_num_queries):
    client = login(clinic.front_desk)
    url = reverse("scheduling:availability")
    client.get(url)  # the session and permission caches warm up
    for _ in range(15):
        therapist = TherapistFactory()
        WorkingHours.objects.create(therapist=therapist, weekday=1, start_time=dt.time(9), end_time=dt.time(17))
        TimeOff.objects.create(therapist=therapist, start=at(MONDAY, 0), end=at(MONDAY, 12))
    with django_assert_max_num_queries(9):  # 6, and the menu's counts: unread messages, referrals, work queue
        assert client.get(url).status_code == 200


def test_the_page_and_the_api_refuse_an_overlap_with_the_same_words(clinic, login):
    page = login(clinic.front_desk).post(_page(clinic), _hours_form(weekday=Weekday.MONDAY, start="19:00", end="21:00"))
    api = login(clinic.front_desk, api=True).post(
        "/api/working-hours/",
        {"therapist": clinic.therapist.pk, "weekday": Weekday.MONDAY, "start_time": "19:00", "end_time": "21:00"},
    )
    message = api.json()["error"]["message"]
    assert api.status_code == 422 and message == "These hours overlap Monday 8:00 AM–8:00 PM at Main office."
    assert page.status_code == 422 and message in page.content.decode()
    assert WorkingHours.objects.filter(therapist=clinic.therapist, weekday=Weekday.MONDAY).count() == 1


def test_the_page_and_the_api_refuse_hours_that_end_before_they_start_alike(clinic, login):
    page = login(clinic.therapist).post(_page(clinic), _hours_form(start="12:00", end="09:00"))
    api = login(clinic.therapist, api=True).post(
        "/api/working-hours/",
        {"therapist": clinic.therapist.pk, "weekday": Weekday.SATURDAY, "start_time": "12:00", "end_time": "09:00"},
    )
    assert api.status_code == 422
    assert page.status_code == 422 and api.json()["error"]["message"] in page.content.decode()


def test_time_off_is_added_in_whole_days_and_names_the_sessions_to_move(clinic, login, session):
    response = login(clinic.front_desk).post(
        _page(clinic),
        {"kind": "time-off", "off-start_date": "2026-06-01", "off-end_date": "2026-06-02", "off-reason": "Course"},
        follow=True,
    )
    off = TimeOff.objects.get(therapist=clinic.therapist)
    assert (off.start, off.end, off.reason) == (at(MONDAY, 0), at(MONDAY + dt.timedelta(days=2), 0), "Course")
    html = response.content.decode()
    assert "Time off added." in html and "move or cancel them: Mon Jun 1, 10:00 AM" in html
    assert "Mon, Jun 1, 2026 – Tue, Jun 2, 2026" in html


def test_time_off_can_cover_part_of_a_day(clinic, login):
    login(clinic.therapist).post(
        _page(clinic),
        {
            "kind": "time-off",
            "off-start_date": "2026-06-01",
            "off-start_time": "13:00",
            "off-end_date": "2026-06-01",
            "off-end_time": "17:00",
        },
    )
    off = TimeOff.objects.get(therapist=clinic.therapist)
    assert (off.start, off.end) == (at(MONDAY, 13), at(MONDAY, 17))


def test_impossible_time_off_is_refused_on_the_form(clinic, login):
    client = login(clinic.therapist)
    backwards = {"kind": "time-off", "off-start_date": "2026-06-03", "off-end_date": "2026-06-01"}
    response = client.post(_page(clinic), backwards)
    assert response.status_code == 422 and "Time off ends after it starts." in response.content.decode()
    far = {"kind": "time-off", "off-start_date": "2026-06-01", "off-end_date": "9999-12-31"}
    assert client.post(_page(clinic), far).status_code == 422
    assert not TimeOff.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [("front_desk", 302), ("therapist", 302), ("other_therapist", 404)])
def test_changing_working_hours(clinic, login, block, who, expected):
    url = reverse("scheduling:availability_edit", args=["hours", block.pk])
    client = login(getattr(clinic, who))
    assert client.get(url).status_code == (200 if expected == 302 else expected)
    response = client.post(url, {"weekday": Weekday.MONDAY, "start_time": "09:00", "end_time": "17:00"})
    assert response.status_code == expected
    block.refresh_from_db()
    assert (block.start_time == dt.time(9, 0)) == (expected == 302)


@pytest.mark.parametrize("who", ["billing", "patient_user"])
def test_billing_and_patients_cannot_change_or_delete(clinic, login, block, time_off, who):
    client = login(getattr(clinic, who))
    for kind, pk in (("hours", block.pk), ("time-off", time_off.pk)):
        assert client.get(reverse("scheduling:availability_edit", args=[kind, pk])).status_code == 403
        assert client.post(reverse("scheduling:availability_delete", args=[kind, pk])).status_code == 403
    assert WorkingHours.objects.filter(pk=block.pk).exists() and TimeOff.objects.filter(pk=time_off.pk).exists()


def test_time_off_is_changed_through_its_form_shown_as_it_was_entered(clinic, login, time_off):
    url = reverse("scheduling:availability_edit", args=["time-off", time_off.pk])
    client = login(clinic.therapist)
    html = client.get(url).content.decode()
    assert 'name="start_date" value="2026-06-01"' in html and 'name="end_date" value="2026-06-01"' in html
    client.post(url, {"start_date": "2026-06-01", "end_date": "2026-06-01", "end_time": "12:00", "reason": ""})
    time_off.refresh_from_db()
    assert (time_off.start, time_off.end) == (at(MONDAY, 0), at(MONDAY, 12))


def test_part_day_time_off_and_working_hours_are_shown_for_change_in_hours_and_minutes(clinic, login, block):
    """The edit forms fill their time inputs as the add forms take them ("13:00"), never with seconds."""
    part_day = services.time_off_save(
        actor=clinic.front_desk, therapist=clinic.therapist, start=at(MONDAY, 13), end=at(MONDAY, 17, 30)
    )
    client = login(clinic.therapist)
    html = client.get(reverse("scheduling:availability_edit", args=["time-off", part_day.pk])).content.decode()
    assert 'name="start_time" value="13:00"' in html and 'name="end_time" value="17:30"' in html
    html = client.get(reverse("scheduling:availability_edit", args=["hours", block.pk])).content.decode()
    assert 'name="start_time" value="08:00"' in html and 'name="end_time" value="20:00"' in html
    assert ":00:00" not in html


@pytest.mark.parametrize("who", ["admin", "front_desk", "therapist"])
def test_delete_asks_first_and_deletes_on_confirmation(clinic, login, block, time_off, who):
    client = login(getattr(clinic, who))
    for kind, record in (("hours", block), ("time-off", time_off)):
        url = reverse("scheduling:availability_delete", args=[kind, record.pk])
        question = client.get(url)
        assert (
            question.status_code == 200
            and "Delete" in question.content.decode()
            and "Keep it" in (question.content.decode())
        )
        assert type(record).objects.filter(pk=record.pk).exists()
        assert client.post(url).url == _page(clinic)
        assert not type(record).objects.filter(pk=record.pk).exists()


def test_another_therapists_records_are_not_found(clinic, login, block, time_off):
    client = login(clinic.other_therapist)
    for kind, pk in (("hours", block.pk), ("time-off", time_off.pk)):
        assert client.post(reverse("scheduling:availability_delete", args=[kind, pk])).status_code == 404
    assert WorkingHours.objects.filter(pk=block.pk).exists() and TimeOff.objects.filter(pk=time_off.pk).exists()


def test_unknown_and_absurd_ids_are_not_found(clinic, login):
    client = login(clinic.front_desk)
    assert client.get("/schedule/availability/99999999999999999999/").status_code == 404
    assert client.get(reverse("scheduling:availability_therapist", args=[clinic.billing.pk])).status_code == 404
    assert client.get("/schedule/availability/hours/99999999999999999999/edit/").status_code == 404
