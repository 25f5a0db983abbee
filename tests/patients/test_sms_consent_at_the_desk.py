"""The front desk records a patient's consent to texts given at the desk (spoken, or on a written form), and its
withdrawal, on the chart: through the service the portal's reminder choices use, with who, when and how in the
access log. A patient who replied STOP gets texts again only through a consent recorded anew."""

import pytest

from apps.audit.models import AccessLog
from apps.core.errors import Conflict, PermissionDenied, Unprocessable
from apps.notifications.opt_outs import number_opt_out
from apps.patients import services
from apps.patients.models import Patient, SmsConsentMethod
from apps.portal.services import reminder_preferences_update
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

PHONE = "+16175550142"


@pytest.fixture
def walk_in(personas):
    """A patient of the personas' therapist with a mobile number and no portal account: no way to agree to texts
    but at the desk."""
    return PatientFactory(primary_therapist=personas.therapist, phone=PHONE)


def _fresh(patient) -> Patient:
    return Patient.objects.get(pk=patient.pk)


def _consent_rows(patient):
    return AccessLog.objects.filter(action="reminder_preferences_change", patient_id=patient.pk).order_by("pk")


# --- the service -------------------------------------------------------------------------------------------------


def test_the_front_desk_records_verbal_consent_and_text_reminders_go_on(personas, walk_in):
    services.patient_sms_consent_record(
        actor=personas.front_desk, patient=walk_in, consent=True, how=SmsConsentMethod.VERBAL
    )

    patient = _fresh(walk_in)
    assert patient.sms_consent_at is not None and patient.sms_consent_method == SmsConsentMethod.VERBAL
    assert patient.reminder_sms and patient.can_receive_sms
    row = _consent_rows(walk_in).get()
    assert (row.actor, row.allowed) == (personas.front_desk, True)
    assert row.detail["how"] == "verbal"
    assert row.detail["before"]["sms_consent"] is False and row.detail["after"]["sms_consent"] is True


def test_written_consent_may_leave_text_reminders_off(personas, walk_in):
    services.patient_sms_consent_record(
        actor=personas.admin, patient=walk_in, consent=True, how=SmsConsentMethod.WRITTEN, text_reminders=False
    )

    patient = _fresh(walk_in)
    assert patient.sms_consent_method == SmsConsentMethod.WRITTEN and not patient.reminder_sms


def test_a_withdrawal_at_the_desk_turns_texts_off_and_is_logged_with_how(personas, walk_in):
    services.patient_sms_consent_record(
        actor=personas.front_desk, patient=walk_in, consent=True, how=SmsConsentMethod.WRITTEN
    )
    services.patient_sms_consent_record(
        actor=personas.front_desk, patient=walk_in, consent=False, how=SmsConsentMethod.VERBAL
    )

    patient = _fresh(walk_in)
    assert (patient.sms_consent_at, patient.sms_consent_method, patient.reminder_sms) == (None, "", False)
    withdrawn = _consent_rows(walk_in).last()
    assert withdrawn.detail["how"] == "verbal" and withdrawn.detail["after"]["sms_consent"] is False


def test_the_portal_records_its_consent_as_given_in_the_portal(personas):
    Patient.objects.filter(pk=personas.patient.pk).update(phone=PHONE)

    reminder_preferences_update(
        actor=personas.patient_user, patient=personas.patient, email=True, sms=True, sms_consent=True
    )

    assert _fresh(personas.patient).sms_consent_method == SmsConsentMethod.PORTAL
    assert _consent_rows(personas.patient).get().detail["how"] == "portal"


def test_after_stop_texts_come_back_only_with_a_consent_recorded_anew(personas, walk_in, login):
    services.patient_sms_consent_record(
        actor=personas.front_desk, patient=walk_in, consent=True, how=SmsConsentMethod.VERBAL
    )
    number_opt_out(from_number=PHONE)
    stopped = _fresh(walk_in)
    assert stopped.sms_opted_out_at is not None and not stopped.reminder_sms

    # The chart's edit page and the API's chart edit have no way to turn texts on.
    desk = login(personas.front_desk)
    api = login(personas.front_desk, api=True)
    api.patch(f"/api/patients/{walk_in.pk}/", {"reminder_sms": True}, format="json")
    form = {f: getattr(stopped, f) for f in ("legal_first_name", "legal_last_name", "email", "phone")}
    desk.post(f"/patients/{walk_in.pk}/edit/", {**form, "date_of_birth": "1985-04-12", "reminder_sms": "on"})
    assert not _fresh(walk_in).reminder_sms and _fresh(walk_in).sms_opted_out_at is not None

    services.patient_sms_consent_record(
        actor=personas.front_desk, patient=walk_in, consent=True, how=SmsConsentMethod.WRITTEN
    )

    again = _fresh(walk_in)
    assert again.sms_opted_out_at is None and again.sms_consent_at > stopped.sms_opted_out_at
    assert again.reminder_sms and again.can_receive_sms


def test_consent_needs_a_mobile_number(personas):
    patient = PatientFactory(phone="")
    with pytest.raises(Unprocessable):
        services.patient_sms_consent_record(
            actor=personas.front_desk, patient=patient, consent=True, how=SmsConsentMethod.VERBAL
        )
    assert _fresh(patient).sms_consent_at is None


def test_consent_at_the_desk_is_spoken_or_written_never_the_portals(personas, walk_in):
    for how in (SmsConsentMethod.PORTAL, "email", ""):
        with pytest.raises(Unprocessable):
            services.patient_sms_consent_record(actor=personas.front_desk, patient=walk_in, consent=True, how=how)
    assert _fresh(walk_in).sms_consent_at is None


def test_consent_on_record_is_not_recorded_twice_nor_a_missing_one_withdrawn(personas, walk_in):
    with pytest.raises(Conflict):
        services.patient_sms_consent_record(
            actor=personas.front_desk, patient=walk_in, consent=False, how=SmsConsentMethod.VERBAL
        )
    services.patient_sms_consent_record(
        actor=personas.front_desk, patient=walk_in, consent=True, how=SmsConsentMethod.VERBAL
    )
    given = _fresh(walk_in).sms_consent_at
    with pytest.raises(Conflict):
        services.patient_sms_consent_record(
            actor=personas.front_desk, patient=walk_in, consent=True, how=SmsConsentMethod.WRITTEN
        )
    assert _fresh(walk_in).sms_consent_at == given and _consent_rows(walk_in).count() == 1


@pytest.mark.parametrize("who", ["therapist", "billing", "patient_user", "bodywork"])
def test_only_the_front_desk_and_admins_record_consent(personas, bodywork_provider, walk_in, who):
    actor = bodywork_provider if who == "bodywork" else getattr(personas, who)
    with pytest.raises(PermissionDenied):
        services.patient_sms_consent_record(actor=actor, patient=walk_in, consent=True, how=SmsConsentMethod.VERBAL)
    assert _fresh(walk_in).sms_consent_at is None


# --- the chart's page --------------------------------------------------------------------------------------------


def _page(patient) -> str:
    return f"/patients/{patient.pk}/texts/"


@pytest.mark.parametrize("who", ["front_desk", "admin"])
def test_the_front_desk_and_admins_record_consent_on_the_chart_after_confirming(personas, login, walk_in, who):
    client = login(getattr(personas, who))
    chart = client.get(f"/patients/{walk_in.pk}/").content.decode()
    assert f'href="{_page(walk_in)}"' in chart

    form = client.get(_page(walk_in))
    assert form.status_code == 200 and "agreed to receive text messages" in form.content.decode()

    unconfirmed = client.post(_page(walk_in), {"how": "verbal", "text_reminders": "on"})
    assert unconfirmed.status_code == 422 and _fresh(walk_in).sms_consent_at is None

    done = client.post(_page(walk_in), {"how": "verbal", "text_reminders": "on", "confirmed": "on"}, follow=True)
    patient = _fresh(walk_in)
    assert done.redirect_chain[-1][0] == f"/patients/{walk_in.pk}/"
    assert patient.sms_consent_method == "verbal" and patient.reminder_sms
    body = done.content.decode()
    assert "Consent to texts recorded" in body and "Verbally, at the desk" in body


def test_the_chart_page_records_a_withdrawal(personas, login, walk_in):
    services.patient_sms_consent_record(
        actor=personas.front_desk, patient=walk_in, consent=True, how=SmsConsentMethod.VERBAL
    )
    client = login(personas.front_desk)

    form = client.get(_page(walk_in)).content.decode()
    assert "asked to stop text messages" in form

    client.post(_page(walk_in), {"how": "written", "confirmed": "on"})
    assert _fresh(walk_in).sms_consent_at is None and _consent_rows(walk_in).last().detail["how"] == "written"


def test_the_page_says_the_patient_replied_stop_before_recording_a_new_consent(personas, login, walk_in):
    services.patient_sms_consent_record(
        actor=personas.front_desk, patient=walk_in, consent=True, how=SmsConsentMethod.VERBAL
    )
    number_opt_out(from_number=PHONE)

    body = login(personas.front_desk).get(_page(walk_in)).content.decode()

    assert "replied STOP" in body and "agreed again" in body


@pytest.mark.parametrize("who", ["therapist", "billing", "bodywork"])
def test_other_staff_who_open_the_chart_cannot_record_consent(personas, login, bodywork_provider, walk_in, who):
    user = bodywork_provider if who == "bodywork" else getattr(personas, who)
    if who == "bodywork":
        walk_in = personas.patient  # the one they treat
        Patient.objects.filter(pk=walk_in.pk).update(phone=PHONE)
    client = login(user)
    assert client.get(f"/patients/{walk_in.pk}/").status_code == 200
    assert f'href="{_page(walk_in)}"' not in client.get(f"/patients/{walk_in.pk}/").content.decode()

    assert client.get(_page(walk_in)).status_code == 403
    assert client.post(_page(walk_in), {"how": "verbal", "confirmed": "on"}).status_code == 403
    assert _fresh(walk_in).sms_consent_at is None


def test_a_patient_cannot_open_the_page_even_for_their_own_chart(personas, login):
    client = login(personas.patient_user)
    assert client.get(_page(personas.patient)).status_code in (403, 404)
    assert client.post(_page(personas.patient), {"how": "verbal", "confirmed": "on"}).status_code in (403, 404)
    assert _fresh(personas.patient).sms_consent_at is None


# --- the API -----------------------------------------------------------------------------------------------------


def _api_url(patient) -> str:
    return f"/api/patients/{patient.pk}/sms-consent/"


def test_the_api_records_consent_and_its_withdrawal(personas, login, walk_in):
    api = login(personas.front_desk, api=True)

    given = api.post(_api_url(walk_in), {"consent": True, "how": "written"}, format="json")
    assert given.status_code == 200
    assert given.json()["sms_consent_method"] == "written" and given.json()["reminder_sms"] is True

    again = api.post(_api_url(walk_in), {"consent": True, "how": "verbal"}, format="json")
    assert again.status_code == 409

    withdrawn = api.post(_api_url(walk_in), {"consent": False, "how": "verbal"}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["sms_consent_at"] is None
    assert [r.detail["how"] for r in _consent_rows(walk_in)] == ["written", "verbal"]


def test_the_api_refuses_bad_input_in_words(personas, login, walk_in):
    api = login(personas.front_desk, api=True)
    assert api.post(_api_url(walk_in), {"consent": True, "how": "portal"}, format="json").status_code == 400
    assert api.post(_api_url(walk_in), {"how": "verbal"}, format="json").status_code == 400
    no_phone = PatientFactory(phone="")
    refused = api.post(_api_url(no_phone), {"consent": True, "how": "verbal"}, format="json")
    assert refused.status_code == 422 and "mobile number" in refused.json()["error"]["message"]


@pytest.mark.parametrize("who", ["therapist", "billing", "patient_user"])
def test_the_api_refuses_everyone_but_the_front_desk_and_admins(personas, login, who):
    Patient.objects.filter(pk=personas.patient.pk).update(phone=PHONE)
    api = login(getattr(personas, who), api=True)
    response = api.post(_api_url(personas.patient), {"consent": True, "how": "verbal"}, format="json")
    assert response.status_code == 403
    assert _fresh(personas.patient).sms_consent_at is None
