"""Who may see and change the schedule.

Front desk and admins run the whole calendar; a therapist sees and manages their own sessions; billing reads
everything and changes nothing; a patient sees and cancels only their own sessions.
"""

import rules

from apps.accounts.rules import is_admin, is_billing, is_clinic_staff, is_front_desk, is_patient_user, is_therapist


@rules.predicate
def is_appointment_therapist(user, appointment) -> bool:
    return appointment is not None and user.is_authenticated and appointment.therapist_id == user.pk


@rules.predicate
def is_own_appointment(user, appointment) -> bool:
    patient = getattr(appointment, "patient", None)
    return patient is not None and user.is_authenticated and patient.user_id == user.pk


@rules.predicate
def is_self(user, therapist) -> bool:
    return therapist is not None and user.is_authenticated and getattr(therapist, "pk", therapist) == user.pk


@rules.predicate
def owns_therapist_record(user, record) -> bool:
    """Working hours or time off of the therapist themselves."""
    return record is not None and user.is_authenticated and record.therapist_id == user.pk


runs_schedule = is_admin | is_front_desk

rules.add_perm("scheduling.view_calendar", is_clinic_staff)
rules.add_perm("scheduling.view_all_schedules", runs_schedule | is_billing)
rules.add_perm("scheduling.book_appointment", runs_schedule | is_therapist)
# Object: the therapist the session is for; therapists book only into their own calendar.
rules.add_perm("scheduling.book_for_therapist", runs_schedule | (is_therapist & is_self))
rules.add_perm("scheduling.change_appointment", runs_schedule | is_appointment_therapist)
rules.add_perm("scheduling.cancel_appointment", runs_schedule | is_appointment_therapist | is_own_appointment)
rules.add_perm("scheduling.manage_reference_data", is_admin)
rules.add_perm("scheduling.view_reference_data", is_clinic_staff)
# Working hours and time off: front desk and admins everyone's, a therapist their own. The object is the record
# (manage_availability) or the therapist whose hours they are (manage_therapist_availability).
rules.add_perm("scheduling.manage_availability", runs_schedule | (is_therapist & owns_therapist_record))
rules.add_perm("scheduling.manage_therapist_availability", runs_schedule | (is_therapist & is_self))
rules.add_perm("scheduling.add_availability", runs_schedule | is_therapist)
# A therapist's own day page and private calendar feed.
rules.add_perm("scheduling.own_schedule", is_therapist)
rules.add_perm("scheduling.use_portal_sessions", is_patient_user)
