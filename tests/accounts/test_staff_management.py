"""Admins manage the staff from the Users page: each staff member's roles, deactivating someone who leaves (asked
first, ending their sign-ins and API tokens) and reactivating them, or inviting again someone who never accepted.
The clinic always keeps an active admin, and a therapist's booked sessions are never left with nobody."""

import datetime as dt
import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.accounts.models import AccountEmail, ApiToken, User
from apps.accounts.roles import Role
from apps.accounts.services import staff_invite
from apps.audit.models import AccessLog
from apps.core import clock
from tests.factories import AppointmentFactory, api_token_for

pytestmark = pytest.mark.django_db


def _url(user, action: str = "") -> str:
    return f"/accounts/users/{user.pk}/{action + '/' if action else ''}"


def _token_client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    return client


def test_the_users_page_lists_the_staff_by_role_name_each_linked(personas, login):
    body = login(personas.admin).get("/accounts/users/").content.decode()
    assert f'href="{_url(personas.front_desk)}"' in body
    assert '<span class="badge">Front desk</span>' in body and ">front_desk<" not in body
    assert personas.patient_user.email not in body  # patients are kept on their charts


def test_an_admin_changes_a_staff_members_roles(personas, login):
    client = login(personas.admin)
    response = client.post(_url(personas.front_desk), {"roles": [Role.FRONT_DESK, Role.BILLING]})
    assert response.status_code == 302
    user = User.objects.get(pk=personas.front_desk.pk)
    assert user.roles == {Role.FRONT_DESK, Role.BILLING}
    assert AccessLog.objects.filter(action="roles_change", subject_id=str(user.pk)).exists()
    assert client.post(_url(personas.front_desk), {"roles": []}).status_code == 422
    assert client.post(_url(personas.front_desk), {"roles": ["patient"]}).status_code == 422


def test_the_last_admin_keeps_the_role_and_a_therapist_with_sessions_ahead_keeps_theirs(personas, login):
    client = login(personas.admin)
    response = client.post(_url(personas.admin), {"roles": [Role.FRONT_DESK]})
    assert response.status_code == 409 and "only active admin" in response.content.decode()
    start = clock.now() + dt.timedelta(days=3)
    AppointmentFactory(therapist=personas.therapist, start=start, end=start + dt.timedelta(minutes=45))
    response = client.post(_url(personas.therapist), {"roles": [Role.FRONT_DESK]})
    assert response.status_code == 409 and "1 booked session to come" in response.content.decode()
    assert Role.THERAPIST in User.objects.get(pk=personas.therapist.pk).roles


def test_deactivating_asks_first_then_ends_sign_ins_and_tokens(personas, login):
    leaving = personas.front_desk
    their_session = login(leaving)
    plaintext = api_token_for(leaving)
    assert _token_client(plaintext).get("/api/patients/").status_code == 200
    admin = login(personas.admin)

    asked = admin.post(_url(leaving, "deactivate"))
    assert asked.status_code == 200 and f"Yes, deactivate {leaving.full_name}" in asked.content.decode()
    assert User.objects.get(pk=leaving.pk).is_active

    done = admin.post(_url(leaving, "deactivate"), {"confirmed": "yes"})
    assert done.status_code == 302
    assert not User.objects.get(pk=leaving.pk).is_active
    assert not ApiToken.objects.filter(user=leaving, revoked_at__isnull=True).exists()
    assert their_session.get("/").status_code == 302  # signed out at their next request
    assert _token_client(plaintext).get("/api/patients/").status_code in (401, 403)
    assert AccessLog.objects.filter(action="staff_deactivate", subject_id=str(leaving.pk)).exists()

    assert admin.post(_url(leaving, "reactivate")).status_code == 302
    assert User.objects.get(pk=leaving.pk).is_active


def test_nobody_deactivates_themselves_the_last_admin_or_a_therapist_with_sessions_ahead(personas, login):
    admin = login(personas.admin)
    admin.post(_url(personas.admin, "deactivate"), {"confirmed": "yes"})
    start = clock.now() + dt.timedelta(days=3)
    AppointmentFactory(therapist=personas.therapist, start=start, end=start + dt.timedelta(minutes=45))
    response = admin.post(_url(personas.therapist, "deactivate"), {"confirmed": "yes"}, follow=True)
    assert "1 booked session to come" in response.content.decode()
    assert User.objects.get(pk=personas.admin.pk).is_active and User.objects.get(pk=personas.therapist.pk).is_active


def test_someone_who_never_accepted_is_invited_again_not_reactivated(
    personas, login, django_capture_on_commit_callbacks, accounts_worker
):
    staff_invite(actor=personas.admin, email="new@clinic.test", first_name="New", last_name="Hire", role="billing")
    invited = User.objects.get(email="new@clinic.test")
    admin = login(personas.admin)
    page = admin.get(_url(invited)).content.decode()
    assert "Send a new invitation" in page and "Reactivate" not in page
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post(_url(invited, "invite-again")).status_code == 302
    accounts_worker.run()
    assert [m.to for m in mail.outbox] == [["new@clinic.test"]]
    admin.post(_url(invited, "reactivate"))
    assert not User.objects.get(pk=invited.pk).is_active


def test_an_invitation_not_yet_accepted_can_be_withdrawn(
    personas, login, django_capture_on_commit_callbacks, client, accounts_worker
):
    """Someone invited who will not join after all (or an invitation sent to the wrong person) is deactivated like a
    leaver: the link they were sent stops working, and the account never becomes active."""
    with django_capture_on_commit_callbacks(execute=True):
        staff_invite(
            actor=personas.admin, email="maybe@clinic.test", first_name="May", last_name="Be", role="therapist"
        )
    accounts_worker.run()
    [email] = mail.outbox
    link = re.search(r"/accounts/invite/[^/\s]+/", email.body).group(0)
    invited = User.objects.get(email="maybe@clinic.test")
    admin = login(personas.admin)
    assert "Withdraw the invitation" in admin.get(_url(invited)).content.decode()

    assert admin.post(_url(invited, "deactivate"), {"confirmed": "yes"}).status_code == 302

    assert client.get(link).status_code == 404
    response = client.post(link, {"password1": "a long new passphrase", "password2": "a long new passphrase"})
    assert response.status_code == 404
    assert not User.objects.get(pk=invited.pk).is_active
    assert AccessLog.objects.filter(action="staff_deactivate", subject_id=str(invited.pk)).exists()
    page = admin.get(_url(invited)).content.decode()
    assert "Withdraw the invitation" not in page and "Send a new invitation" in page


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing", "patient_user"])
def test_only_admins_manage_the_staff(personas, login, persona):
    client = login(getattr(personas, persona))
    assert client.get(_url(personas.front_desk)).status_code == 403
    for action in ("deactivate", "reactivate", "invite-again", "sign-out-everywhere"):
        assert client.post(_url(personas.front_desk, action), {"confirmed": "yes"}).status_code == 403
    assert User.objects.get(pk=personas.front_desk.pk).is_active


def test_a_patients_account_is_not_a_staff_member(personas, login):
    assert login(personas.admin).get(_url(personas.patient_user)).status_code == 404


def test_an_unknown_access_action_is_not_found(personas, login):
    assert login(personas.admin).post(_url(personas.front_desk, "delete"), {"confirmed": "yes"}).status_code == 404
    assert User.objects.filter(pk=personas.front_desk.pk, is_active=True).exists()


def test_the_django_admin_is_no_way_around_the_staff_rules(personas, login):
    """Roles, deactivation and a staff member's email are read-only there: a post that tries them changes none."""
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client = login(personas.admin)
    url = f"/admin/accounts/user/{personas.therapist.pk}/change/"
    page = client.get(url).content.decode()
    assert 'name="is_active"' not in page and 'name="groups"' not in page and 'name="email"' not in page
    user = personas.therapist
    client.post(
        url, {"email": "taken@over.test", "first_name": user.first_name, "last_name": user.last_name, "groups": []}
    )
    user = User.objects.get(pk=user.pk)
    assert user.is_active and Role.THERAPIST in user.roles and user.email == personas.therapist.email


def _details(user, **changes) -> dict:
    return {"first_name": user.first_name, "last_name": user.last_name, "email": user.email} | changes


def test_an_admin_corrects_a_name_and_a_changed_email_is_told_at_both_addresses(
    personas, login, django_capture_on_commit_callbacks, accounts_worker
):
    member = personas.front_desk
    old_email = member.email
    admin = login(personas.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(_url(member, "details"), _details(member, last_name="Okafor", email=" Desk@Clinic.TEST "))
    assert response.status_code == 302
    member = User.objects.get(pk=member.pk)
    assert (member.last_name, member.email) == ("Okafor", "desk@clinic.test")
    assert mail.outbox == []  # told by the worker, after the change is saved
    # One email to each address, recorded: only the records' ids travel to the worker.
    notices = AccountEmail.objects.filter(user=member).order_by("pk")
    assert [(n.to_address, n.kind) for n in notices] == [
        (old_email, "sign_in_email_changed"),
        ("desk@clinic.test", "sign_in_email_changed"),
    ]
    assert accounts_worker.queued == [
        {"task": "apps.accounts.tasks.account_email_send", "args": [notice.pk], "kwargs": {}} for notice in notices
    ]
    accounts_worker.run()
    assert [notice.to for notice in mail.outbox] == [[old_email], ["desk@clinic.test"]]
    assert all(old_email in notice.body and "desk@clinic.test" in notice.body for notice in mail.outbox)
    log = AccessLog.objects.get(action="staff_details_change", subject_id=str(member.pk))
    assert log.detail == {"changed": ["last_name", "email"]}


def test_a_name_alone_sends_no_email(personas, login, django_capture_on_commit_callbacks, accounts_worker):
    with django_capture_on_commit_callbacks(execute=True):
        response = login(personas.admin).post(
            _url(personas.billing, "details"), _details(personas.billing, first_name="Bea")
        )
    accounts_worker.run()
    assert response.status_code == 302 and mail.outbox == []
    assert User.objects.get(pk=personas.billing.pk).first_name == "Bea"


def test_an_invited_persons_corrected_email_gets_the_new_link_and_the_old_one_stops(
    personas, login, django_capture_on_commit_callbacks, accounts_worker
):
    staff_invite(actor=personas.admin, email="nora@clinc.test", first_name="Nora", last_name="Hale", role="billing")
    invited = User.objects.get(email="nora@clinc.test")
    [old_invitation] = invited.invitations.all()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = login(personas.admin).post(_url(invited, "details"), _details(invited, email="nora@clinic.test"))
    assert response.status_code == 302
    accounts_worker.run()
    assert [m.to for m in mail.outbox] == [["nora@clinic.test"]] and "Choose your password" in mail.outbox[0].body
    old_invitation.refresh_from_db()
    assert old_invitation.revoked_at is not None
    assert invited.invitations.get(revoked_at=None).email == "nora@clinic.test"


def test_a_mail_server_refusing_does_not_fail_an_email_change(
    personas, login, django_capture_on_commit_callbacks, accounts_worker, refusing_mail_server
):
    """The change is saved and the notice handed to the worker, which retries it; the admin gets no error page."""
    member = personas.front_desk
    with django_capture_on_commit_callbacks(execute=True):
        response = login(personas.admin).post(_url(member, "details"), _details(member, email="desk@clinic.test"))
    assert response.status_code == 302
    assert User.objects.get(pk=member.pk).email == "desk@clinic.test"
    assert [call["task"] for call in accounts_worker.queued] == ["apps.accounts.tasks.account_email_send"] * 2


def test_another_accounts_email_or_a_blank_name_is_refused_on_its_field(personas, login):
    admin = login(personas.admin)
    taken = admin.post(
        _url(personas.front_desk, "details"), _details(personas.front_desk, email=personas.therapist.email.upper())
    )
    assert taken.status_code == 409
    assert taken.context["details"].errors["email"] == ["Already in use."]
    blank = admin.post(_url(personas.front_desk, "details"), _details(personas.front_desk, first_name=" "))
    assert blank.status_code == 422 and "first_name" in blank.context["details"].errors
    assert User.objects.get(pk=personas.front_desk.pk).email == personas.front_desk.email


@pytest.mark.parametrize("persona", ["front_desk", "therapist", "billing"])
def test_only_admins_change_a_staff_members_details(personas, login, persona):
    response = login(getattr(personas, persona)).post(
        _url(personas.front_desk, "details"), _details(personas.front_desk, email="someone@else.test")
    )
    assert response.status_code == 403
    assert User.objects.get(pk=personas.front_desk.pk).email == personas.front_desk.email


def test_the_page_offers_deactivating_only_when_it_would_go_through_and_says_why_not(personas, login):
    admin = login(personas.admin)
    assert "Deactivate…</button>" in admin.get(_url(personas.front_desk)).content.decode()
    own = admin.get(_url(personas.admin)).content.decode()
    assert "Deactivate…</button>" not in own and "You cannot deactivate your own account" in own
    start = clock.now() + dt.timedelta(days=3)
    AppointmentFactory(therapist=personas.therapist, start=start, end=start + dt.timedelta(minutes=45))
    therapist = admin.get(_url(personas.therapist)).content.decode()
    assert "Deactivate…</button>" not in therapist and "has 1 booked session to come" in therapist


def test_a_therapists_staff_page_and_their_working_hours_page_lead_to_each_other(personas, login):
    """Setting a therapist up goes from their staff page to the hours they may be booked in, and back."""
    client = login(personas.admin)
    staff_page = client.get(f"/accounts/users/{personas.therapist.pk}/").content.decode()
    assert f'href="/schedule/availability/{personas.therapist.pk}/"' in staff_page
    hours_page = client.get(f"/schedule/availability/{personas.therapist.pk}/").content.decode()
    assert f'href="/accounts/users/{personas.therapist.pk}/"' in hours_page
    # The front desk keeps hours too, but does not manage the staff.
    front_desk_page = login(personas.front_desk).get(f"/schedule/availability/{personas.therapist.pk}/")
    assert "/accounts/users/" not in front_desk_page.content.decode()
    # Someone who is not a therapist has no hours to keep.
    assert "/schedule/availability/" not in client.get(f"/accounts/users/{personas.billing.pk}/").content.decode()
