import pytest
from django.core.management import call_command

from apps.accounts.models import TherapistProfile, User
from apps.billing.models import PackagePurchase
from apps.intake.models import Packet
from apps.intake.selectors import patient_outstanding
from apps.patients.demo import PORTAL_PATIENT_EMAIL
from apps.patients.models import Patient
from apps.scheduling.demo import WEST_OFFICE
from apps.scheduling.models import Appointment, Room, ServiceType

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        "users": sorted(User.objects.values_list("email", flat=True)),
        "patients": sorted(
            Patient.objects.values_list("email", "legal_last_name", "date_of_birth", "primary_therapist__email")
        ),
        "rooms": sorted(Room.objects.values_list("name", "capacity")),
        "services": sorted(ServiceType.objects.values_list("code", "duration_minutes")),
        "profiles": sorted(TherapistProfile.objects.values_list("user__email", "is_prelicensed", "supervisor__email")),
    }


def test_seed_demo_twice_gives_the_same_clinic(capsys):
    call_command("seed_demo")
    first = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == first
    # 40 demo patients, and a lecture registrant who later opened a chart (linked, not duplicated).
    assert len(first["patients"]) == 41
    # No two demo patients share a whole name: a front desk telling two Jordan Walshes apart by chart number is a
    # real clinic's day, not a demo's.
    names = list(
        Patient.objects.filter(email__endswith="@clinic.test").values_list("legal_first_name", "legal_last_name")
    )
    assert len(names) == 40 and len(set(names)) == 40
    assert {code for code, _ in first["services"]} >= {"90791", "90834", "90837", "90853"}
    therapists = first["profiles"]
    assert len(therapists) == 5
    assert any(prelicensed and supervisor for _, prelicensed, supervisor in therapists)
    out = capsys.readouterr().out
    assert "frontdesk@clinic.test" in out
    # The partner massage therapist's relaxation program: massage sessions only, with her bodywork notes.
    assert "lena.park@clinic.test" in out and "(massage and bodywork)" in out
    masseuse = User.objects.get(email="lena.park@clinic.test")
    assert set(masseuse.appointments.values_list("service_type__code", flat=True)) == {"RLX60"}
    assert set(masseuse.authored_notes.values_list("template__name", flat=True)) == {"Bodywork session note"}
    assert masseuse.authored_notes.filter(status="signed").exists()
    assert not Patient.objects.filter(primary_therapist=masseuse).exists()
    # The portal patient has intake forms signed and some still to sign; seeding again sends and signs nothing.
    portal_patient = Patient.objects.get(email=PORTAL_PATIENT_EMAIL)
    assert (Packet.objects.filter(patient=portal_patient).count(), portal_patient.intake_signatures.count()) == (1, 2)
    assert patient_outstanding(patient=portal_patient)
    # A demo patient holds the massage package, with the past weekly massages covered by it.
    package = PackagePurchase.objects.get(offering__name="10-week relaxation massage")
    assert (package.sessions_total, package.status) == (10, "active") and 3 <= package.sessions_used <= 4
    # The West office: a psychotherapist's Friday sessions with their own patients, in Pacific time.
    west_sessions = Appointment.objects.filter(location__name=WEST_OFFICE).select_related("service_type")
    assert west_sessions.exists()
    assert {(a.local_start.weekday(), a.zone.key) for a in west_sessions} == {(4, "America/Los_Angeles")}
    assert {a.service_type.discipline for a in west_sessions} == {"psychotherapy"}


def test_the_demo_is_never_seeded_under_production_settings_unless_a_demo_says_so(settings):
    from django.core.management.base import CommandError

    settings.DEBUG = False
    settings.CLINIC_DEMO = False
    with pytest.raises(CommandError, match="CLINIC_DEMO=1"):
        call_command("seed_demo")
    assert not User.objects.filter(email="admin@clinic.test").exists()


def test_the_deploy_check_warns_while_the_demo_switch_is_on(settings):
    from apps.core.checks import demo_check

    settings.CLINIC_DEMO = True
    assert [warning.id for warning in demo_check(None)] == ["clinic.W001"]
    settings.CLINIC_DEMO = False
    assert demo_check(None) == []


def test_the_demo_therapist_maria_russo_takes_secure_messages_from_her_patients():
    import io

    from apps.accounts import demo
    from apps.messaging.recipients import takes_messages

    demo.seed(io.StringIO())

    assert takes_messages(User.objects.get(email="maria.russo@clinic.test"))
    assert not takes_messages(User.objects.get(email="tom.baker@clinic.test"))
