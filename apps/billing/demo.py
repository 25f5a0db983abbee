"""Demo billing: the fee schedule, the 2025 and 2026 poverty guidelines, the HRSA class table, and sliding-scale
assessments for most demo patients. Idempotent: keyed on service code, year, effective date and patient."""

import datetime as dt
import random
from decimal import Decimal

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.core import clock

from .models import AssessmentStatus, SlidingScaleAssessment
from .services.assessments import assessment_approve, assessment_submit
from .services.configuration import HRSA_DEFAULT_CLASSES, fee_schedule_set, guideline_set, scale_schedule_save

FEE_START = dt.date(2025, 1, 1)
FULL_FEES = {
    "90791": Decimal("250.00"),
    "90834": Decimal("200.00"),
    "90837": Decimal("200.00"),
    "90853": Decimal("60.00"),
    "97124": Decimal("30.00"),
    "RLX60": Decimal("110.00"),
}
GUIDELINES = {2025: (Decimal("15650"), Decimal("5500")), 2026: (Decimal("15960"), Decimal("5680"))}
NOMINAL_FEE = Decimal("20.00")
LATE_CANCEL_FEE = Decimal("100.00")

# (household size, annual income) for demo patients in order; None leaves a patient without an assessment.
HOUSEHOLDS = [
    (1, "12400"),
    (2, "28500"),
    (3, "41000"),
    (4, "52000"),
    (1, "23500"),
    (5, "61000"),
    (2, "150000"),
    (6, "48000"),
    (3, "33000"),
    (1, "31000"),
    (4, "98000"),
    (2, "19800"),
    None,
    (3, "72000"),
    (1, "18900"),
    (5, "44000"),
    (2, "36500"),
    (4, "39000"),
    (1, "45000"),
    (6, "88000"),
    (3, "27000"),
    (2, "64000"),
    (1, "15000"),
    (4, "120000"),
    None,
    (2, "25000"),
    (3, "51000"),
    (5, "95000"),
    (1, "27500"),
    (2, "42000"),
]
PENDING_EVERY = 7  # every seventh household is still waiting for review
APPLIED_AT = dt.time(20, 15)  # patients apply from home in the evening
REVIEWED_AT = dt.time(11, 0)
OVERRIDE_INDEX = 4


def config_seed(actor=None) -> None:
    from apps.scheduling.models import ServiceType

    for code, fee in FULL_FEES.items():
        service = ServiceType.objects.filter(code=code).first()
        if service is not None:
            fee_schedule_set(actor=actor, service_type=service, full_fee=fee, effective_from=FEE_START)
    for year, (first, additional) in GUIDELINES.items():
        guideline_set(actor=actor, year=year, first_person=first, each_additional_person=additional)
    scale_schedule_save(
        actor=actor,
        effective_from=FEE_START,
        nominal_fee=NOMINAL_FEE,
        late_cancel_fee=LATE_CANCEL_FEE,
        classes=HRSA_DEFAULT_CLASSES,
    )


def seed(out) -> None:
    from apps.patients.models import Patient

    config_seed()
    reviewer = User.objects.filter(groups__name=Role.BILLING).order_by("email").first()
    rng = random.Random(2026)
    patients = list(Patient.objects.filter(email__endswith="@clinic.test").order_by("email"))
    today = clock.local_now().date()
    made = 0
    for index, (patient, household) in enumerate(zip(patients, HOUSEHOLDS, strict=False)):
        if household is None or SlidingScaleAssessment.objects.filter(patient=patient).exists():
            continue
        size, income = household
        waiting = index % PENDING_EVERY == PENDING_EVERY - 1 or reviewer is None
        # Applied a few days before billing reviewed it, and reviewed on the day the class took effect (the class
        # is then fixed against that day's guideline); a waiting application came in during the past week.
        start = None if waiting else today - dt.timedelta(days=rng.randrange(10, 300))
        applied = (start or today) - dt.timedelta(days=rng.randrange(1, 7))
        with clock.recorded_at(clock.local_datetime(applied, APPLIED_AT)):
            assessment = assessment_submit(
                actor=patient.user, patient=patient, household_size=size, annual_income=Decimal(income)
            )
        made += 1
        if start is None:
            continue
        override = {"override_fee": Decimal("35.00"), "override_reason": "Recent job loss; reviewed with the patient"}
        with clock.recorded_at(clock.local_datetime(start, REVIEWED_AT)):
            assessment_approve(
                actor=reviewer,
                assessment=assessment,
                effective_from=start,
                **(override if index == OVERRIDE_INDEX else {}),
            )
    pending = SlidingScaleAssessment.objects.filter(status=AssessmentStatus.PENDING).count()
    out.write(f"Billing: fee schedule, guidelines 2025/2026, HRSA classes; {made} new assessments ({pending} pending)")
