"""Demo session packages: the partner massage therapists' "10-week relaxation massage" package, sold to a demo
patient with a sliding-scale class at their first weekly massage three weeks ago; the past ones are completed (each
as it ended) and so covered by the package. Runs after the demo sessions. Idempotent: keyed on the offering's name,
sold once.
"""

import datetime as dt
from decimal import Decimal

from apps.accounts.disciplines import Discipline
from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.accounts.selectors import therapists_of
from apps.core import clock

from .models import AssessmentStatus, PackageOffering, PackagePurchase
from .services.packages import package_purchase

MASSAGE_CODE = "RLX60"  # the 60-minute relaxation massage (apps/scheduling/demo.py)
OFFERING = {
    "name": "10-week relaxation massage",
    "session_count": 10,
    "full_price": Decimal("1000.00"),
    "valid_days": 120,
}
WEEKS_DONE = 3
SESSION_TIME = dt.time(12, 0)


def seed(out) -> None:
    from apps.patients.models import Patient
    from apps.scheduling import services as scheduling
    from apps.scheduling.models import Room, ServiceType

    massage = ServiceType.objects.filter(code=MASSAGE_CODE).first()
    front_desk = User.objects.filter(groups__name=Role.FRONT_DESK).order_by("email").first()
    therapist = therapists_of(discipline=Discipline.BODYWORK).first()
    if massage is None or front_desk is None or therapist is None:
        out.write("Packages: skipped (no massage service, front desk or therapist)")
        return
    offering, _ = PackageOffering.objects.update_or_create(
        name=OFFERING["name"], defaults={**OFFERING, "service_type": massage}
    )
    if PackagePurchase.objects.filter(offering=offering).exists():
        out.write(f"Packages: “{offering.name}” on sale")
        return
    today = clock.local_now().date()
    # Tuesdays at noon with the partner massage therapist (booked outside their hours if need be), from three weeks
    # back: three or four massages done, the rest to come. The package was sold at the first of them, before any
    # was charged, at the class the patient had that day.
    first_tuesday = today - dt.timedelta(weeks=WEEKS_DONE, days=today.weekday() - 1)
    sold_at = clock.local_datetime(first_tuesday, SESSION_TIME)
    patient = (
        Patient.objects.filter(
            email__endswith="@clinic.test",
            fee_assessments__status=AssessmentStatus.APPROVED,
            fee_assessments__override_fee__isnull=True,
            fee_assessments__effective_from__lte=first_tuesday,
            fee_assessments__expires_on__gt=first_tuesday,
        )
        .order_by("email")
        .first()
    )
    if patient is None:
        out.write(f"Packages: “{offering.name}” on sale")
        return
    with clock.recorded_at(sold_at):
        purchase = package_purchase(actor=front_desk, patient=patient, offering=offering)
    booked = scheduling.series_book(
        actor=front_desk,
        therapist=therapist,
        patient=patient,
        service_type=massage,
        first_date=first_tuesday,
        local_start_time=SESSION_TIME,
        occurrence_count=offering.session_count,
        room=Room.objects.filter(name="Birch").first(),
        skip_conflicts=True,
        override_reason="Massage package",
        cap_override_reason="Massage package",
        allow_past=True,  # the massages already done
    ).booked
    now = clock.now()
    for appointment in booked:
        if appointment.end <= now:
            with clock.recorded_at(appointment.end):  # completed as it ended, covered on the session's day
                scheduling.appointment_complete(appointment=appointment, actor=therapist)
    purchase.refresh_from_db()
    out.write(
        f"Packages: “{offering.name}” sold to {patient.display_name}, "
        f"{purchase.sessions_used} of {purchase.sessions_total} sessions used"
    )
