"""Forty demo patients with varied households. Deterministic, keyed on email."""

import datetime as dt
import random

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import therapists_of
from apps.core import clock

from .models import Patient, SmsConsentMethod
from .services import patient_create

FIRST = [
    "Alex",
    "Jordan",
    "Priya",
    "Miguel",
    "Hannah",
    "Omar",
    "Grace",
    "Liam",
    "Sofia",
    "Noah",
    "Aisha",
    "Ethan",
    "Chloe",
    "Mateo",
    "Leah",
    "Daniel",
    "Yuki",
    "Samuel",
    "Fatima",
    "Lucas",
]
LAST = [
    "Rivera",
    "Patel",
    "Nguyen",
    "Johnson",
    "Kowalski",
    "Haddad",
    "O'Brien",
    "Fischer",
    "Santos",
    "Kim",
    "Martin",
    "Abebe",
    "Rossi",
    "Cohen",
    "Walsh",
    "Ibrahim",
    "Larsen",
    "Moreau",
    "Tanaka",
    "Brooks",
]
STREETS = ["Elm", "Oak", "Maple", "Beacon", "Center"]
PRONOUNS = ["she/her", "he/him", "they/them", "", ""]
CITIES = [
    ("Boston", "MA", "02118"),
    ("Cambridge", "MA", "02139"),
    ("Somerville", "MA", "02144"),
    ("Quincy", "MA", "02169"),
    ("Newton", "MA", "02458"),
]
PATIENT_COUNT = 40
PORTAL_PATIENT_EMAIL = "patient01@clinic.test"


def seed(out) -> list[Patient]:
    rng = random.Random(20261121)
    therapists = list(therapists_of(discipline=Discipline.PSYCHOTHERAPY))
    patients = []
    for index in range(1, PATIENT_COUNT + 1):
        email = f"patient{index:02d}@clinic.test"
        # Past the list of first names, the last names shift by one, so no two patients share a whole name.
        rounds = (index - 1) // len(FIRST)
        first, last = FIRST[(index - 1) % len(FIRST)], LAST[(index * 7 + rounds) % len(LAST)]
        city, state, postal = CITIES[index % len(CITIES)]
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 50))
        phone = f"+1617555{index:04d}"
        patient = Patient.objects.filter(email=email).first()
        if patient is None:
            patient = patient_create(
                actor=None,
                legal_first_name=first,
                legal_last_name=last,
                preferred_name="",
                pronouns=rng.choice(PRONOUNS),
                date_of_birth=birth,
                email=email,
                phone=phone,
                address_line1=f"{rng.randrange(10, 999)} {rng.choice(STREETS)} Street",
                city=city,
                state=state,
                postal_code=postal,
                emergency_contact_name=f"{rng.choice(FIRST)} {last}",
                emergency_contact_phone=f"+1617556{index:04d}",
                emergency_contact_relationship=rng.choice(["Partner", "Parent", "Sibling", "Friend"]),
                primary_therapist=therapists[index % len(therapists)],
            )
            if index % 3 == 0:
                Patient.objects.filter(pk=patient.pk).update(
                    sms_consent_at=clock.now(), sms_consent_method=SmsConsentMethod.WRITTEN, reminder_sms=True
                )
        patients.append(patient)
    _portal_account(patients[0])
    out.write(f"Patients: {len(patients)}; portal login {PORTAL_PATIENT_EMAIL} (same demo password)")
    return patients


def _portal_account(patient: Patient) -> None:
    from apps.accounts.demo import DEMO_PASSWORD
    from apps.accounts.services import user_create

    if patient.user_id is None:
        user = User.objects.filter(email=patient.email).first() or user_create(
            email=patient.email,
            first_name=patient.legal_first_name,
            last_name=patient.legal_last_name,
            roles=[Role.PATIENT],
            password=DEMO_PASSWORD,
        )
        Patient.objects.filter(pk=patient.pk).update(user=user)
