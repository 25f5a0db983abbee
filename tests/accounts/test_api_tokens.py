"""Personal API tokens: only their own user mints one, after MFA; the secret is shown once and kept only hashed;
tokens expire, can be listed and revoked; admins may revoke anyone's but never mint; a token never reads process
notes."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.accounts.models import ApiToken, User
from apps.accounts.services import api_token_create
from apps.audit.models import AccessLog
from apps.core import clock
from apps.core.when import moment_text
from apps.notes.services import process_note_create
from tests.factories import PASSWORD, AppointmentFactory, api_token_for

pytestmark = pytest.mark.django_db


def _token_client(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    return client


def _create_on_page(client, name: str = "Nightly export", days: int = 30):
    return client.post("/accounts/tokens/", {"name": name, "lifetime_days": days})


def test_a_verified_user_creates_a_token_and_sees_its_secret_only_once(personas, login):
    client = login(personas.front_desk)
    page = _create_on_page(client)
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    token = ApiToken.objects.get(user=personas.front_desk)
    plaintext = page.context["created"]["plaintext"]
    assert plaintext.startswith(f"{token.prefix}.") and plaintext in page.content.decode()
    secret = plaintext.split(".", 1)[1]
    assert secret not in token.secret_hash and len(token.secret_hash) == 64
    assert token.name == "Nightly export"
    assert abs(token.expires_at - token.created_at - dt.timedelta(days=30)) < dt.timedelta(seconds=5)

    listing = client.get("/accounts/tokens/").content.decode()
    assert "Nightly export" in listing and token.prefix in listing and secret not in listing
    expires = timezone.localtime(token.expires_at)
    assert f"<td>{moment_text(expires)}</td>" in listing, "dated and timed as every other list says it"
    assert "a.m." not in listing and "p.m." not in listing
    assert _token_client(plaintext).get("/api/patients/").status_code == 200
    assert AccessLog.objects.filter(action="api_token_create", actor=personas.front_desk).exists()


def test_nobody_can_mint_a_token_for_someone_else(personas, login):
    client = login(personas.admin)
    response = client.post(
        "/accounts/tokens/", {"name": "for theo", "lifetime_days": 30, "user": personas.therapist.pk}
    )
    assert response.status_code == 200
    assert ApiToken.objects.get().user == personas.admin  # the only owner a new token can have is its creator
    assert not ApiToken.objects.filter(user=personas.therapist).exists()


def test_the_django_admin_has_no_way_to_mint_tokens(personas, login):
    personas.admin.is_staff = personas.admin.is_superuser = True
    personas.admin.save()
    client = login(personas.admin)
    assert client.get("/admin/authtoken/tokenproxy/add/").status_code == 404
    assert client.get("/admin/authtoken/token/add/").status_code == 404
    assert client.get("/admin/accounts/apitoken/add/").status_code == 403
    assert client.get("/admin/accounts/apitoken/").status_code == 200


def test_the_token_page_waits_for_mfa(personas):
    client = Client()
    client.post("/accounts/login/", {"username": personas.therapist.email, "password": PASSWORD})
    response = _create_on_page(client)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/mfa/")
    assert not ApiToken.objects.exists()


def test_patients_have_no_token_page(personas, login):
    assert login(personas.patient_user).get("/accounts/tokens/").status_code == 403


def test_a_token_cannot_mint_another_token(personas):
    client = _token_client(api_token_for(personas.front_desk))
    assert client.post("/accounts/tokens/", {"name": "more", "lifetime_days": 365}).status_code in (302, 403)
    assert ApiToken.objects.count() == 1


def test_an_expired_token_is_refused(personas):
    plaintext = api_token_for(personas.front_desk, days=7)
    client = _token_client(plaintext)
    with time_machine.travel(clock.now() + dt.timedelta(days=7, seconds=1)):
        response = client.get("/api/patients/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "authentication_failed"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t + "x",
        lambda t: t.split(".")[0],
        lambda t: "0" * 12 + "." + t.split(".")[1],
        lambda t: "",
        lambda t: "\x00" + t,
        lambda t: t.upper(),
    ],
)
def test_a_wrong_or_malformed_token_is_refused(personas, mangle):
    response = _token_client(mangle(api_token_for(personas.front_desk))).get("/api/patients/")
    assert response.status_code in (401, 403)
    assert "PHI" not in response.content.decode() and "results" not in response.json()


def test_wrong_tokens_are_limited_per_client_and_then_even_the_right_one_waits(personas, settings):
    """Like sign-in failures: a client that keeps sending tokens that do not work is stopped (429), and once stopped a
    right token waits too, so the answer never tells a right guess from a wrong one. Other clients go on."""
    settings.CLINIC_API_TOKEN_FAILURE_RATE_PER_CLIENT = "3/hour"
    right = api_token_for(personas.front_desk)
    wrong = right.split(".")[0] + ".not-the-secret"
    guessing = {"REMOTE_ADDR": "10.0.3.1"}
    assert _token_client(right).get("/api/patients/", **guessing).status_code == 200  # successes are not counted
    for attempt in (wrong, "not one token", wrong):  # a malformed header counts as well
        response = _token_client(attempt).get("/api/patients/", **guessing)
        assert response.status_code == 403 and response.json()["error"]["code"] == "authentication_failed"

    for attempt in (wrong, right):
        refused = _token_client(attempt).get("/api/patients/", **guessing)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "throttled"
        assert "Too many failed token attempts" in refused.json()["error"]["message"]
        assert int(refused["Retry-After"]) > 0
    assert _token_client(right).get("/api/patients/", REMOTE_ADDR="10.0.3.2").status_code == 200


def test_a_deactivated_users_token_is_refused(personas):
    plaintext = api_token_for(personas.front_desk)
    User.objects.filter(pk=personas.front_desk.pk).update(is_active=False)
    assert _token_client(plaintext).get("/api/patients/").status_code == 403


def test_a_token_whose_holder_has_no_staff_role_is_refused(personas):
    """A role change since the token was minted (the Django admin's groups) leaves a patient's account holding it."""
    token, plaintext = api_token_create(actor=personas.patient_user, name="Left over", lifetime=dt.timedelta(days=30))
    assert _token_client(plaintext).get("/api/appointments/").status_code == 403
    token.refresh_from_db()
    assert token.last_used_at is None


def test_use_is_recorded_on_the_token(personas):
    plaintext = api_token_for(personas.front_desk)
    assert ApiToken.objects.get().last_used_at is None
    _token_client(plaintext).get("/api/patients/")
    assert ApiToken.objects.get().last_used_at is not None


def test_the_owner_revokes_their_token_and_it_stops_working(personas, login):
    plaintext = api_token_for(personas.therapist)
    token = ApiToken.objects.get()
    client = login(personas.therapist)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == personas.therapist
    assert _token_client(plaintext).get("/api/therapists/").status_code == 403
    assert "revoked" in client.get("/accounts/tokens/").content.decode()


def test_another_staff_member_cannot_revoke_or_see_someone_elses_token(personas, login):
    api_token_for(personas.therapist)
    token = ApiToken.objects.get()
    client = login(personas.front_desk)
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 404
    assert token.prefix not in client.get("/accounts/tokens/").content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_lists_and_revokes_anyones_token(personas, login):
    api_token_for(personas.therapist, name="Theo's sync")
    token = ApiToken.objects.get()
    client = login(personas.admin)
    assert "Theo&#x27;s sync" in client.get("/accounts/tokens/").content.decode()
    assert client.post(f"/accounts/tokens/{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == personas.admin
    assert AccessLog.objects.filter(action="api_token_revoke", actor=personas.admin).exists()


def test_a_superuser_revokes_from_the_django_admin(personas, login):
    api_token_for(personas.therapist)
    token = ApiToken.objects.get()
    root = User.objects.create_superuser(email="root@example.test", password=PASSWORD)
    client = login(root)
    response = client.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_by == root


def test_a_django_admin_user_who_may_only_view_tokens_cannot_revoke_one(personas, login):
    """Revoking stops someone's script: it takes the change permission on tokens, as any change in the admin does,
    not only the view permission that lists them (even for a clinic admin, who revokes on the tokens page)."""
    from django.contrib.auth.models import Permission

    plaintext = api_token_for(personas.therapist)
    token = ApiToken.objects.get()
    viewer = personas.admin
    viewer.is_staff = True
    viewer.save(update_fields=["is_staff"])
    viewer.user_permissions.add(Permission.objects.get(codename="view_apitoken"))
    admin = login(viewer)

    listing = admin.get("/admin/accounts/apitoken/")
    assert listing.status_code == 200 and '"revoke"' not in listing.content.decode()
    admin.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is None
    assert _token_client(plaintext).get("/api/patients/").status_code == 200
    assert not AccessLog.objects.filter(action="api_token_revoke").exists()

    viewer.user_permissions.add(Permission.objects.get(codename="change_apitoken"))
    admin.post("/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_by == viewer
    assert _token_client(plaintext).get("/api/patients/").status_code == 403


def test_a_token_lives_at_most_a_year_and_must_have_a_name(personas):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        api_token_create(actor=personas.front_desk, name="forever", lifetime=dt.timedelta(days=400))
    with pytest.raises(IntegrityError), transaction.atomic():
        api_token_create(actor=personas.front_desk, name="  ", lifetime=dt.timedelta(days=7))


def test_the_form_refuses_a_lifetime_it_does_not_offer(personas, login):
    response = _create_on_page(login(personas.front_desk), days=3650)
    assert response.status_code == 422 and "lifetime_days" in response.context["form"].errors
    assert not ApiToken.objects.exists()


def test_process_notes_are_never_served_to_a_token_not_even_the_authors(personas, login):
    appointment = AppointmentFactory(therapist=personas.therapist, patient=personas.patient)
    note = process_note_create(
        actor=personas.therapist, patient=personas.patient, appointment=appointment, text="Countertransference."
    )
    client = _token_client(api_token_for(personas.therapist))
    answers = [
        client.get("/api/process-notes/"),
        client.get(f"/api/process-notes/{note.pk}/"),
        client.post("/api/process-notes/", {"patient": personas.patient.pk, "text": "x"}, format="json"),
        client.patch(f"/api/process-notes/{note.pk}/", {"text": "overwritten"}, format="json"),
        client.delete(f"/api/process-notes/{note.pk}/"),
    ]
    for response in answers:
        assert response.status_code == 403
        assert "never through an API token" in response.json()["error"]["message"]
        assert "Countertransference" not in response.content.decode()
    assert not AccessLog.objects.filter(action="process_note_view").exists()

    session = login(personas.therapist, api=True)  # the author's own verified browser session is served
    assert session.get(f"/api/process-notes/{note.pk}/").json()["text"] == "Countertransference."
