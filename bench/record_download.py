"""How big and how slow a patient's record download gets with a long history: gives one new patient `--years` of
weekly care (each week a completed session, charged and paid, a signed note with an addendum, a questionnaire
and a journal entry; a statement each month, issued on the 5th of the next), through the services, each at its own
time, then builds the record and renders both downloads, printing their size, time and the process's peak memory.

Run against a demo database, never the tests': `DATABASE_URL=... python -m bench.record_download --years 5`.
Session notes are released for the run so the download is as large as it gets."""

import argparse
import datetime as dt
import os
import resource
import time

import django


def _seed(years: int):
    import time_machine
    from django.contrib.auth.models import Group

    from apps.accounts.models import User
    from apps.accounts.roles import Role
    from apps.billing.models import FeeSchedule, PovertyGuideline, SlidingScaleSchedule
    from apps.billing.services.charges import charge_for_appointment_outcome
    from apps.billing.services.payments import payment_record
    from apps.billing.services.statements import statement_issue
    from apps.core import clock
    from apps.notes.models import NoteTemplate
    from apps.notes.services import addendum_add, note_create, note_sign
    from apps.outcomes.services import journal_entry_create, questionnaire_answer, questionnaire_assign
    from apps.patients.models import Patient
    from apps.scheduling.models import Appointment, ServiceType
    from tests.notes.conftest import complete_progress_content

    therapist = User.objects.get(email="maria.russo@clinic.test")
    desk = User.objects.get(email="frontdesk@clinic.test")
    billing = User.objects.get(email="billing@clinic.test")
    template = NoteTemplate.objects.get(name="Psychodynamic TMS progress note")
    service = ServiceType.objects.get(code="90834")
    stamp = int(time.time())
    user = User.objects.create_user(email=f"long.history.{stamp}@clinic.test", password="clinic-demo-2026")
    user.groups.set([Group.objects.get(name=Role.PATIENT)])
    patient = Patient.objects.create(
        user=user,
        legal_first_name="Long",
        legal_last_name=f"History {stamp}",
        chart_number=f"L{stamp % 1000000:06d}",
        date_of_birth=dt.date(1970, 1, 1),
        email=user.email,
        primary_therapist=therapist,
    )
    today = clock.local_now().date()
    first = today - dt.timedelta(weeks=52 * years)
    first -= dt.timedelta(days=(first.weekday() - 1) % 7)  # a Tuesday
    # The demo's fees start in 2025: in the throwaway demo database the first schedules are moved back to the
    # history's first day, and the first guideline copied to the years before, so every session of it has a fee.
    for model in (FeeSchedule, SlidingScaleSchedule):
        earliest = model.objects.order_by("effective_from").first()
        if earliest.effective_from > first:
            model.objects.filter(effective_from=earliest.effective_from).update(effective_from=first)
    guideline = PovertyGuideline.objects.order_by("year").first()
    for year in range(first.year, guideline.year):
        PovertyGuideline.objects.get_or_create(
            year=year,
            region=guideline.region,
            defaults={
                "first_person": guideline.first_person,
                "each_additional_person": guideline.each_additional_person,
            },
        )
    day = first
    issued_months = set()
    while day < today - dt.timedelta(days=1):
        start = clock.local_datetime(day, dt.time(20, 50))  # an hour the demo therapist has free
        with time_machine.travel(start + dt.timedelta(hours=1), tick=False):
            session = Appointment.objects.create(
                therapist=therapist,
                patient=patient,
                service_type=service,
                start=start,
                end=start + dt.timedelta(minutes=45),
                status="completed",
            )
            charge = charge_for_appointment_outcome(appointment=session, actor=desk)
            payment_record(actor=desk, patient=patient, method="cash", amount=charge.amount)
            note = note_create(
                actor=therapist, appointment=session, template=template, content=complete_progress_content()
            )
            note = note_sign(actor=therapist, note=note, attest=True)
            addendum_add(actor=therapist, note=note, text="The shoulder pain started after the call with her sister.")
            assignment, _ = questionnaire_assign(
                patient=patient,
                instrument="phq9",
                due_at=clock.now(),
                expires_at=clock.now() + dt.timedelta(days=2),
                source_meeting=None,
            )
            questionnaire_answer(actor=user, assignment=assignment, answers=[1, 2, 1, 0, 1, 2, 1, 0, 0])
            journal_entry_create(
                actor=user, patient=patient, text="Wrote about the anger at work for twenty minutes. " * 6
            )
        month = (day.year, day.month)
        issue_day = (dt.date(*month, 1) + dt.timedelta(days=32)).replace(day=5)
        if month not in issued_months and issue_day < today:
            issued_months.add(month)
            with time_machine.travel(clock.local_datetime(issue_day, dt.time(9, 0)), tick=False):
                statement_issue(actor=billing, patient=patient, year=month[0], month=month[1])
        day += dt.timedelta(weeks=1)
    return user, patient


def _timed(work):
    """What `work` returns, and how long it took: on the wall clock, and in CPU time (a loaded machine stretches
    the first, not the second)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    return result, f"{time.perf_counter() - wall:.2f} s ({time.process_time() - cpu:.2f} s CPU)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="measure the last patient seeded instead of seeding one")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.local")
    django.setup()
    from apps.core.models import ClinicSettings
    from apps.patients.models import Patient
    from apps.records.documents import record_json, record_pdf
    from apps.records.selectors import patient_record

    if args.reuse:
        patient = Patient.objects.filter(legal_first_name="Long").order_by("-pk").first()
        user = patient.user
    else:
        began = time.perf_counter()
        user, patient = _seed(args.years)
        print(f"seeded {args.years} years in {time.perf_counter() - began:.1f} s")
    ClinicSettings.objects.filter(pk=ClinicSettings.load().pk).update(records_release_session_notes=True)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    record, built = _timed(lambda: patient_record(user=user, patient=patient))
    json_bytes, json_time = _timed(lambda: record_json(record))
    pdf_bytes, pdf_time = _timed(lambda: record_pdf(record))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    counts = {key: len(record[key]) for key in ("sessions", "charges", "payments", "statements", "session_notes")}
    print(f"rows: {counts}")
    print(f"record built in {built}")
    print(f"JSON: {len(json_bytes) / 1e6:.2f} MB in {json_time}")
    print(f"PDF:  {len(pdf_bytes) / 1e6:.2f} MB in {pdf_time}")
    print(f"peak memory of the process: {before / 1024:.0f} MB before, {after / 1024:.0f} MB after")


if __name__ == "__main__":
    main()
