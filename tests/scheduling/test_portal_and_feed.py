"""The patient's sessions in the portal, and a therapist's private calendar feed."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from icalendar import Calendar

from apps.accounts.roles import Role
from apps.accounts.services import staff_roles_change
from apps.audit.models import AccessLog
from apps.scheduling import services
from apps.scheduling.models import Appointment, CalendarFeed

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def sessions(clinic):
    def book(therapist, patient, start, **kwargs):
        return services.appointment_book(
            actor=clinic.front_desk,
            therapist=therapist,
            patient=patient,
            service_type=clinic.individual,
            start=start,
            **kwargs,
        )

    return (
        book(clinic.therapist, clinic.patient, at(MONDAY, 10), is_telehealth=True),
        book(clinic.other_therapist, clinic.other_patient, at(MONDAY, 10), room=clinic.cedar),
    )


def test_the_patient_sees_their_upcoming_sessions_with_the_video_link(clinic, login, sessions):
    mine, theirs = sessions
    client = login(clinic.patient_user)
    html = client.get(reverse("portal:sessions:list")).content.decode()
    assert mine.telehealth_url in html
    assert reverse("portal:sessions:cancel", args=[mine.pk]) in html
    assert reverse("portal:sessions:cancel", args=[theirs.pk]) not in html
    dashboard = client.get(reverse("portal:dashboard")).content.decode()
    assert "Your next session" in dashboard and "Join the video session" in dashboard


def test_cancelling_early_from_the_portal_carries_no_fee(clinic, login, sessions):
    mine, _ = sessions
    client = login(clinic.patient_user)
    page = client.get(reverse("portal:sessions:cancel", args=[mine.pk])).content.decode()
    assert "no fee" in page
    client.post(reverse("portal:sessions:cancel", args=[mine.pk]), {"reason": "Work trip"})
    assert Appointment.objects.get(pk=mine.pk).status == "cancelled"


def test_cancelling_late_from_the_portal_warns_of_the_fee_first(clinic, login, sessions, frozen_now):
    mine, _ = sessions
    frozen_now.move_to(at(MONDAY, 7))
    client = login(clinic.patient_user)
    page = client.get(reverse("portal:sessions:cancel", args=[mine.pk])).content.decode()
    # No fee configuration in this clinic: the page says so rather than promising a fee it would not charge.
    assert "late cancellation" in page and "no fee will be charged" in page
    response = client.post(reverse("portal:sessions:cancel", args=[mine.pk]), follow=True)
    assert "late cancellation, but the clinic has no fee set for it, so none was charged" in response.content.decode()
    assert Appointment.objects.get(pk=mine.pk).status == "late_cancelled"


def test_a_patient_cannot_open_or_cancel_another_patients_session(clinic, login, sessions):
    _, theirs = sessions
    client = login(clinic.patient_user)
    assert client.get(reverse("portal:sessions:cancel", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("portal:sessions:cancel", args=[theirs.pk])).status_code == 404
    assert Appointment.objects.get(pk=theirs.pk).status == "booked"


def test_staff_have_no_portal_sessions_page(clinic, login):
    assert login(clinic.front_desk).get(reverse("portal:sessions:list")).status_code == 403


def _issue_feed(client) -> str:
    client.post(reverse("scheduling:calendar_feed_change", args=["issue"]), {"confirmed": "yes"})
    page = client.get(reverse("scheduling:calendar_feed_settings")).content.decode()
    url = page.split('readonly value="')[1].split('"')[0]
    assert url.startswith(settings.SITE_URL + "/"), "calendar apps subscribe at the clinic's public address"
    return url.removeprefix(settings.SITE_URL)


def test_the_calendar_feed_shows_initials_only_and_can_be_revoked(clinic, login, sessions, client):
    therapist_client = login(clinic.therapist)
    path = _issue_feed(therapist_client)
    token = path.rsplit("/", 1)[1].removesuffix(".ics")
    assert not CalendarFeed.objects.filter(token_hash=token).exists()  # only the hash is stored

    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    body = response.content.decode()
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == f"{clinic.patient.initials} · 90834"
    assert event.decoded("dtstart") == at(MONDAY, 10)
    assert clinic.patient.legal_last_name not in body and clinic.patient.legal_first_name not in body
    assert clinic.other_patient.initials + " ·" not in body

    settings_page = therapist_client.get(reverse("scheduling:calendar_feed_settings")).content.decode()
    assert "Turn off…" in settings_page and "Make a new address…" in settings_page
    asked = therapist_client.post(reverse("scheduling:calendar_feed_change", args=["revoke"]))
    assert asked.status_code == 200 and "Turn off your calendar subscription?" in asked.content.decode()
    assert 'name="confirmed" value="yes"' in asked.content.decode()
    assert client.get(path).status_code == 200  # the first press only asks
    therapist_client.post(reverse("scheduling:calendar_feed_change", args=["revoke"]), {"confirmed": "yes"})
    assert client.get(path).status_code == 404


def test_the_first_feed_address_is_made_in_one_press_for_nothing_stops_working(clinic, login):
    therapist_client = login(clinic.therapist)
    assert therapist_client.post(reverse("scheduling:calendar_feed_change", args=["issue"])).status_code == 302
    assert CalendarFeed.objects.filter(therapist=clinic.therapist, revoked_at__isnull=True).count() == 1


def test_a_head_request_does_not_use_up_the_address_shown_once(clinic, login):
    """A browser's or a link checker's HEAD of the settings page is not the therapist's reading of it: the new
    address is still shown on the next GET, and only then forgotten."""
    therapist_client = login(clinic.therapist)
    therapist_client.post(reverse("scheduling:calendar_feed_change", args=["issue"]), {"confirmed": "yes"})
    page = reverse("scheduling:calendar_feed_settings")
    assert therapist_client.head(page).status_code == 200
    assert 'readonly value="' in therapist_client.get(page).content.decode()
    assert 'readonly value="' not in therapist_client.get(page).content.decode()


def test_a_new_feed_address_retires_the_old_one(clinic, login, client):
    therapist_client = login(clinic.therapist)
    first = _issue_feed(therapist_client)
    asked = therapist_client.post(reverse("scheduling:calendar_feed_change", args=["issue"]))
    assert asked.status_code == 200 and "Make a new subscription address?" in asked.content.decode()
    assert client.get(first).status_code == 200  # the first press only asks
    second = _issue_feed(therapist_client)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert CalendarFeed.objects.filter(therapist=clinic.therapist, revoked_at__isnull=True).count() == 1


def test_only_therapists_have_a_calendar_feed(clinic, login):
    assert login(clinic.front_desk).get(reverse("scheduling:calendar_feed_settings")).status_code == 403
    assert login(clinic.billing).post(reverse("scheduling:calendar_feed_change", args=["issue"])).status_code == 403


def test_a_therapist_who_loses_the_role_loses_the_feed_for_good(clinic, login, client):
    """Someone who stops seeing patients but stays on staff (front desk now) no longer has their schedule sent to a
    calendar app, and giving the role back does not bring the old address back."""
    path = _issue_feed(login(clinic.therapist))
    staff_roles_change(actor=clinic.admin, user=clinic.therapist, roles=[Role.FRONT_DESK])
    assert client.get(path).status_code == 404
    assert AccessLog.objects.filter(action="calendar_feed_revoke", actor=clinic.admin, subject_id=clinic.therapist.pk)

    staff_roles_change(actor=clinic.admin, user=clinic.therapist, roles=[Role.THERAPIST])
    assert client.get(path).status_code == 404


def test_the_feed_stops_when_the_role_is_taken_away_outside_the_staff_page(clinic, login, client):
    """The Django admin edits groups without the staff page's service: the feed answers only while its owner is an
    active therapist, however the role went."""
    path = _issue_feed(login(clinic.therapist))
    therapist_group = clinic.therapist.groups.get(name=Role.THERAPIST)
    clinic.therapist.groups.remove(therapist_group)
    assert client.get(path).status_code == 404
    clinic.therapist.groups.add(therapist_group)
    assert client.get(path).status_code == 200


def test_the_feed_is_time_bounded(clinic, sessions, frozen_now, login, client):
    path = _issue_feed(login(clinic.therapist))
    frozen_now.move_to(at(MONDAY, 10) + dt.timedelta(days=40))
    assert b"VEVENT" not in client.get(path).content


def test_the_admin_cannot_revive_a_revoked_feed_nor_hand_it_to_another_therapist(clinic, superuser_admin, client):
    """A feed address is a secret in a calendar app: once revoked it stays dead, and it is always its therapist's.
    The admin lists feeds and may revoke them (through the service, logged), never change one."""
    token = services.calendar_feed_issue(actor=clinic.therapist, therapist=clinic.therapist)
    path = reverse("scheduling:calendar_feed", args=[token])
    services.calendar_feed_revoke(actor=clinic.therapist, therapist=clinic.therapist)
    feed = CalendarFeed.objects.get(therapist=clinic.therapist)
    url = f"/admin/scheduling/calendarfeed/{feed.pk}/change/"
    assert superuser_admin.get(url).status_code == 200
    response = superuser_admin.post(
        url, {"therapist": clinic.other_therapist.pk, "revoked_at_0": "", "revoked_at_1": ""}
    )
    assert response.status_code == 403
    feed.refresh_from_db()
    assert feed.revoked_at is not None and feed.therapist == clinic.therapist
    assert client.get(path).status_code == 404

    live = services.calendar_feed_issue(actor=clinic.other_therapist, therapist=clinic.other_therapist)
    live_feed = CalendarFeed.objects.get(therapist=clinic.other_therapist, revoked_at=None)
    superuser_admin.post("/admin/scheduling/calendarfeed/", {"action": "revoke", "_selected_action": [live_feed.pk]})
    assert client.get(reverse("scheduling:calendar_feed", args=[live])).status_code == 404
    assert AccessLog.objects.filter(action="calendar_feed_revoke", actor=clinic.admin).exists()


def test_a_django_admin_user_who_may_only_view_feeds_cannot_revoke_one(clinic, login, client):
    """Revoking stops a therapist's calendar: it takes the change permission on feeds, as any change in the admin
    does, not only the view permission that lists them."""
    from django.contrib.auth.models import Permission

    token = services.calendar_feed_issue(actor=clinic.therapist, therapist=clinic.therapist)
    feed = CalendarFeed.objects.get(therapist=clinic.therapist, revoked_at=None)
    viewer = clinic.front_desk
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    viewer.user_permissions.add(Permission.objects.get(codename="view_calendarfeed"))
    admin = login(viewer)

    listing = admin.get("/admin/scheduling/calendarfeed/")
    assert listing.status_code == 200 and '"revoke"' not in listing.content.decode()
    admin.post("/admin/scheduling/calendarfeed/", {"action": "revoke", "_selected_action": [feed.pk]})
    feed.refresh_from_db()
    assert feed.revoked_at is None
    assert client.get(reverse("scheduling:calendar_feed", args=[token])).status_code == 200
    assert not AccessLog.objects.filter(action="calendar_feed_revoke").exists()

    viewer.user_permissions.add(Permission.objects.get(codename="change_calendarfeed"))
    admin.post("/admin/scheduling/calendarfeed/", {"action": "revoke", "_selected_action": [feed.pk]})
    feed.refresh_from_db()
    assert feed.revoked_at is not None
    assert client.get(reverse("scheduling:calendar_feed", args=[token])).status_code == 404


def test_deactivating_a_therapist_revokes_their_feed_and_reactivating_does_not_revive_it(clinic, client):
    from apps.accounts.services import staff_deactivate, staff_reactivate

    token = services.calendar_feed_issue(actor=clinic.other_therapist, therapist=clinic.other_therapist)
    path = reverse("scheduling:calendar_feed", args=[token])
    assert client.get(path).status_code == 200

    staff_deactivate(actor=clinic.admin, user=clinic.other_therapist)
    assert client.get(path).status_code == 404
    assert not CalendarFeed.objects.filter(therapist=clinic.other_therapist, revoked_at__isnull=True).exists()
    assert AccessLog.objects.filter(
        action="calendar_feed_revoke", actor=clinic.admin, subject_id=str(clinic.other_therapist.pk)
    ).exists()

    staff_reactivate(actor=clinic.admin, user=clinic.other_therapist)
    assert client.get(path).status_code == 404
