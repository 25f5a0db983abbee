"""A populated clinic shared by the schema fuzz tests of one module, and API tokens for the roles that use it.

The demo clinic (staff, patients, series, notes, charges, programs, questionnaires) is loaded once per module
inside a transaction that is rolled back at the end; each test runs in a savepoint of its own, so whatever one
operation's fuzzing writes is gone before the next operation starts.
"""

import datetime as dt
import io
import traceback
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, connection, transaction

from apps.accounts.models import User
from apps.accounts.roles import Role
from tests.factories import api_token_for

# The demo clinic's people who act through the API in the fuzz.
ROLE_EMAILS = {
    "admin": "admin@clinic.test",
    "front_desk": "frontdesk@clinic.test",
    "billing": "billing@clinic.test",
    "therapist": "sarah.chen@clinic.test",
    "patient": "patient01@clinic.test",
}


def _extras(users: dict[str, User]) -> None:
    """Rows the demo clinic has none of, so every resource has something to find by id."""
    from apps.billing.services.payments import payment_record
    from apps.billing.services.statements import statement_issue
    from apps.core import clock
    from apps.notes import plan_services as plans
    from apps.notes import services as notes
    from apps.notes.models import SessionNote
    from apps.patients.models import Patient
    from apps.scheduling import services as scheduling

    therapist, front_desk = users["therapist"], users["front_desk"]
    patient = Patient.objects.get(user=users["patient"])
    signed = SessionNote.objects.filter(author=therapist, status="signed").first()
    if signed is not None:
        notes.addendum_add(actor=therapist, note=signed, text="Patient called to add context.")
        notes.process_note_create(actor=therapist, patient=signed.appointment.patient, text="Process thoughts.")
        # A draft revision of the plan in force, so plan drafts are found by id too.
        plan_patient = signed.appointment.patient
        plans.plan_create(
            actor=therapist,
            patient=plan_patient,
            start_date=clock.local_now().date(),
            review_date=clock.local_now().date() + dt.timedelta(days=90),
            content={"problems": [{"text": "Revising.", "goals": []}]},
        )
    payment_record(actor=front_desk, patient=patient, amount="20.00", method="cash", credit_on_account=True)
    today = clock.local_now().date()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    statement_issue(actor=users["billing"], patient=patient, year=last_month.year, month=last_month.month)
    start = clock.local_datetime(today + dt.timedelta(days=60), dt.time(0, 0))
    scheduling.time_off_save(actor=front_desk, therapist=therapist, start=start, end=start + dt.timedelta(days=2))


def _some_ids(queryset, users: dict[str, User], limit: int = 4) -> list[int]:
    """A few ids of the model: some that belong to the fuzzing patient or therapist, some that do not."""
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])
    fields = {f.name for f in queryset.model._meta.get_fields()}
    for field, user in [("patient", None), ("therapist", users["therapist"]), ("author", users["therapist"])]:
        if field not in fields:
            continue
        mine = {f"{field}__user": users["patient"]} if user is None else {field: user}
        ids += queryset.filter(**mine).order_by("-pk").values_list("pk", flat=True)[:limit]
    return sorted(set(ids))


def _id_pools(users: dict[str, User]) -> dict:
    """Ids that exist, by the collection a path names and by the field name a body or query refers with."""
    from apps.billing.models import Charge, GoodFaithEstimate, Payment, SlidingScaleAssessment, Statement
    from apps.notes.models import NoteTemplate, PsychotherapyNote, SessionNote, TreatmentPlan
    from apps.notifications.models import Message
    from apps.outcomes.models import QuestionnaireAssignment, QuestionnaireResponse
    from apps.patients.models import Patient
    from apps.programs.models import Enrollment, GroupProgram, ProgramMeeting
    from apps.scheduling.models import Appointment, AppointmentSeries, Room, ServiceType, TimeOff, WorkingHours
    from apps.waitlist.models import FreedSlot, SlotRequest

    def ids(queryset, limit=4):
        return _some_ids(queryset, users, limit)

    therapists = ids(User.objects.filter(groups__name=Role.THERAPIST))
    patients = sorted({*ids(Patient.objects.all()), users["patient"].patient.pk})
    appointments = sorted(
        {pk for status in ("booked", "completed", "cancelled") for pk in ids(Appointment.objects.filter(status=status))}
    )
    collections = {
        "/api/appointment-series/": ids(AppointmentSeries.objects.all()),
        "/api/appointments/": appointments,
        "/api/billing/balances/": patients,
        "/api/charges/": ids(Charge.objects.all()),
        "/api/freed-slots/": ids(FreedSlot.objects.all()),
        "/api/good-faith-estimates/": ids(GoodFaithEstimate.objects.all()),
        "/api/enrollments/": sorted(
            {pk for status in ("enrolled", "waitlisted") for pk in ids(Enrollment.objects.filter(status=status))}
        ),
        "/api/measure-responses/": ids(QuestionnaireResponse.objects.all()),
        "/api/messages/": ids(Message.objects.all()),
        "/api/note-templates/": ids(NoteTemplate.objects.all()),
        "/api/notes/": sorted({pk for s in ("draft", "signed") for pk in ids(SessionNote.objects.filter(status=s))}),
        "/api/patients/": patients,
        "/api/payments/": ids(Payment.objects.all()),
        "/api/process-notes/": ids(PsychotherapyNote.objects.all()),
        "/api/program-meetings/": ids(ProgramMeeting.objects.all()),
        "/api/programs/": ids(GroupProgram.objects.all()),
        "/api/questionnaire-assignments/": ids(QuestionnaireAssignment.objects.all()),
        "/api/rooms/": ids(Room.objects.all()),
        "/api/service-types/": ids(ServiceType.objects.all()),
        "/api/sliding-scale/assessments/": ids(SlidingScaleAssessment.objects.all()),
        "/api/slot-requests/": ids(SlotRequest.objects.all()),
        "/api/statements/": ids(Statement.objects.all()),
        "/api/therapists/": therapists,
        "/api/time-off/": ids(TimeOff.objects.all()),
        "/api/treatment-plans/": sorted(
            {pk for s in ("draft", "signed", "superseded") for pk in ids(TreatmentPlan.objects.filter(status=s))}
        ),
        "/api/working-hours/": ids(WorkingHours.objects.all()),
    }
    references = {
        "therapist": therapists,
        "primary_therapist": therapists,
        "lead_facilitator": therapists,
        "co_facilitators": therapists,
        "patient": patients,
        "appointment": appointments,
        "service_type": collections["/api/service-types/"],
        "room": collections["/api/rooms/"],
        "template": collections["/api/note-templates/"],
        "enrollment": collections["/api/enrollments/"],
        "program": collections["/api/programs/"],
    }
    return {"collections": collections, "references": references}


@pytest.fixture(scope="module")
def fuzz_clinic(django_db_setup, django_db_blocker):
    """The demo clinic plus a token per role; rolled back when the module's tests are done."""
    # The clinic's block never commits, as a test case's own does not, and is marked as one: roles given in it are
    # then cached as committed ones are (apps.accounts.access), instead of read from the database on every request.
    clinic_block = transaction.atomic()
    clinic_block._from_testcase = True
    with django_db_blocker.unblock(), clinic_block:
        call_command("seed_demo", stdout=io.StringIO())
        users = {role: User.objects.get(email=email) for role, email in ROLE_EMAILS.items()}
        assert users["patient"].groups.filter(name=Role.PATIENT).exists()
        _extras(users)
        tokens = {role: api_token_for(user) for role, user in users.items()}
        # The foreign keys are checked at the end of each test (Django's deferred constraint check); checked here
        # once, the clinic's rows are not checked again after every test.
        connection.check_constraints()
        yield SimpleNamespace(users=users, tokens=tokens, **_id_pools(users))
        transaction.set_rollback(True)


@pytest.fixture
def server_errors():
    """Calls the WSGI app the way Django's test client does, and keeps the traceback of any unhandled exception.

    Django's handler closes the database connection at the end of each request; inside a test's transaction that
    would throw the test's data away, so the test client switches it off, and so do we.
    """
    errors: list[str] = []

    def record(sender, request=None, **kwargs):
        errors.append(traceback.format_exc())

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    got_request_exception.connect(record)
    try:
        yield errors
    finally:
        got_request_exception.disconnect(record)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
