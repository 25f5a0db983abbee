"""Demo staff, roles and clinic settings. Idempotent: keyed on email addresses."""

import base64
import datetime as dt

from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.core.models import ClinicSettings

from .disciplines import Discipline
from .models import TherapistProfile, User
from .roles import Role
from .services import roles_ensure, user_create

DEMO_PASSWORD = "clinic-demo-2026"
# Fixed TOTP keys so demo staff can add them to an authenticator app once.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"

STAFF = [
    ("admin@clinic.test", "Ada", "Morgan", [Role.ADMIN]),
    ("frontdesk@clinic.test", "Frank", "Delgado", [Role.FRONT_DESK]),
    ("billing@clinic.test", "Bea", "Lindqvist", [Role.BILLING]),
    ("sarah.chen@clinic.test", "Sarah", "Chen", [Role.THERAPIST]),
    ("david.okafor@clinic.test", "David", "Okafor", [Role.THERAPIST]),
    ("maria.russo@clinic.test", "Maria", "Russo", [Role.THERAPIST]),
    ("tom.baker@clinic.test", "Tom", "Baker", [Role.THERAPIST]),
    ("lena.park@clinic.test", "Lena", "Park", [Role.THERAPIST]),
]
THERAPIST_PROFILES = {
    "sarah.chen@clinic.test": {
        "credentials": "PhD, Licensed Psychologist",
        "license_type": "Psychologist",
        "license_number": "PSY-4412",
        "npi": "1467583920",
        "self_booking": True,
    },
    "david.okafor@clinic.test": {
        "credentials": "LICSW",
        "license_type": "LICSW",
        "license_number": "LICSW-11873",
        "npi": "1598273640",
        "self_booking": True,
        "accepts_new_patients": False,
    },
    "maria.russo@clinic.test": {
        "credentials": "LMFT",
        "license_type": "LMFT",
        "license_number": "LMFT-2290",
        "npi": "1730495827",
        "self_booking": True,
        # One therapist who takes her patients' secure messages, so the demo shows that path as well as the desk's.
        "accepts_patient_messages": True,
    },
    "tom.baker@clinic.test": {
        "credentials": "LMHC candidate",
        "license_number": "",
        "npi": "1821937465",
        "is_prelicensed": True,
        "supervisor_email": "sarah.chen@clinic.test",
    },
    # The partner massage therapist: books only massage services and reads only her own bodywork notes.
    "lena.park@clinic.test": {
        "credentials": "LMT",
        "license_type": "LMT",
        "license_number": "MT-30571",
        "discipline": Discipline.BODYWORK,
    },
}


def seed(out) -> dict[str, User]:
    roles_ensure()
    ClinicSettings.objects.update_or_create(
        id=1,
        defaults={
            "name": "Riverside Mind-Body Clinic",
            "patient_messages_to_therapists": True,
            "address": "120 Harbor Street, Suite 4\nBoston, MA 02110",
            "phone": "(617) 555-0100",
            "email": "hello@clinic.test",
            "npi": "1093847561",
            "tax_id": "04-5551234",
            "quiet_hours_start": dt.time(21, 0),
            "quiet_hours_end": dt.time(8, 0),
        },
    )
    users = {}
    for email, first, last, roles in STAFF:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(email=email, first_name=first, last_name=last, roles=roles, password=DEMO_PASSWORD)
        users[email] = user
        TOTPDevice.objects.get_or_create(
            user=user, name="Demo authenticator", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
        )
    admin = users["admin@clinic.test"]
    if not admin.is_superuser:
        admin.is_staff = admin.is_superuser = True
        admin.save(update_fields=["is_staff", "is_superuser"])
    for email, profile in THERAPIST_PROFILES.items():
        profile = dict(profile)
        supervisor_email = profile.pop("supervisor_email", None)
        profile["supervisor"] = users[supervisor_email] if supervisor_email else None
        TherapistProfile.objects.update_or_create(user=users[email], defaults=profile)
    out.write(f"Staff logins (password {DEMO_PASSWORD}):")
    disciplines = dict(TherapistProfile.objects.values_list("user__email", "discipline"))
    for email, _first, _last, roles in STAFF:
        bodywork = " (massage and bodywork)" if disciplines.get(email) == Discipline.BODYWORK else ""
        out.write(f"  {email:28} {', '.join(roles)}{bodywork}")
    key = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()
    out.write(f"Staff two-factor key for an authenticator app: {key} (or run: manage.py demo_totp)")
    return users
