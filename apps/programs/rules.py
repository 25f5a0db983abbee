"""Who may do what with group programs and enrollments."""

import rules

from apps.accounts.rules import is_admin, is_billing, is_clinic_staff, is_front_desk, is_patient_user


@rules.predicate
def is_program_facilitator(user, program) -> bool:
    if program is None or not user.is_authenticated:
        return False
    return program.lead_facilitator_id == user.id or program.co_facilitators.filter(pk=user.pk).exists()


@rules.predicate
def is_own_enrollment(user, enrollment) -> bool:
    return (
        enrollment is not None
        and user.is_authenticated
        and enrollment.patient_id is not None
        and enrollment.patient.user_id == user.id
    )


@rules.predicate
def facilitates_enrollment_program(user, enrollment) -> bool:
    return enrollment is not None and is_program_facilitator(user, enrollment.program)


manages_programs = is_admin | is_front_desk

rules.add_perm("programs.view_program", is_clinic_staff | is_patient_user)
rules.add_perm("programs.add_program", manages_programs)
rules.add_perm("programs.change_program", manages_programs)
rules.add_perm("programs.view_roster", manages_programs | is_program_facilitator)
rules.add_perm("programs.take_attendance", manages_programs | is_program_facilitator)
# Scores are clinical: the group's before/after is for its facilitators and admins, not the front desk.
rules.add_perm("programs.view_outcomes", is_admin | is_program_facilitator)
rules.add_perm("programs.enroll_patients", manages_programs)
rules.add_perm("programs.enroll_self", is_patient_user)
rules.add_perm("programs.reorder_waitlist", manages_programs)
# The work queue of people waiting on a list with no next step: the front desk calls them.
rules.add_perm("programs.work_stranded_queue", manages_programs)
rules.add_perm(
    "programs.view_enrollment", manages_programs | is_billing | facilitates_enrollment_program | is_own_enrollment
)
rules.add_perm("programs.change_enrollment", manages_programs | is_own_enrollment)
# Money a member of the public hands over at a lecture: the front desk takes it, billing may too.
rules.add_perm("programs.record_lecture_payment", manages_programs | is_billing)
