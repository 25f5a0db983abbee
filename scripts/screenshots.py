"""Regenerate docs/screenshots/: the patient portal and the main staff pages, at phone and desktop widths.

Uses its own database (clinic_screenshots by default), loads the demo clinic into it, serves the app on a free
local port and signs in as the demo personas in Chromium. Run it with `make screenshots`.
"""

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CLINIC_CHROMIUM", "/usr/bin/chromium")
DATABASE_URL = os.environ.get("SCREENSHOTS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/clinic_screenshots")
# A Redis database of its own, so no development worker picks up jobs that refer to this database's rows.
REDIS_URL = os.environ.get("SCREENSHOTS_REDIS_URL", "redis://127.0.0.1:6379/14")
MAX_HEIGHT = 2400  # long lists are cut here; the top of a page shows what it is
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 900}}


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    title: str


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(port: int) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "clinic.settings.local",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "CLINIC_SITE_URL": f"http://127.0.0.1:{port}",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "DJANGO_DEBUG": "true",
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603 (our own command)


def wait_until_serving(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"The server stopped (exit code {server.returncode}).")
        try:
            urllib.request.urlopen(url + "/accounts/login/", timeout=2)  # noqa: S310 (our own local server)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.25)
    raise SystemExit(f"The server did not answer at {url} within {seconds} s.")


def demo_ids(env: dict) -> dict:
    """Primary keys the page list needs, read from the freshly seeded database."""
    os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from apps.accounts.models import User
    from apps.core import clock
    from apps.education.models import Assignment, ItemKind
    from apps.intake.models import DocumentKind, IntakeDocument
    from apps.messaging.models import MessageThread
    from apps.notes.models import TreatmentPlan
    from apps.patients.demo import PORTAL_PATIENT_EMAIL
    from apps.patients.models import Patient
    from apps.programs.models import GroupProgram
    from apps.scheduling.demo import WEST_OFFICE
    from apps.scheduling.models import Appointment, Location
    from apps.selfbooking.selectors import bookable_slots, first_session_service

    patient = Patient.objects.get(email=PORTAL_PATIENT_EMAIL)
    upcoming = Appointment.objects.filter(patient=patient, status="booked").order_by("start").first()
    # A session far enough ahead to move online (outside the late-cancellation window), with an online therapist.
    movable = (
        Appointment.objects.filter(
            patient=patient,
            status="booked",
            therapist__therapist_profile__self_booking=True,
            start__gt=clock.now() + dt.timedelta(days=2),
        )
        .order_by("start")
        .first()
    )
    today = clock.local_now().date()
    next_monday = today + dt.timedelta(days=7 - today.weekday())
    online_therapist = User.objects.get(email="sarah.chen@clinic.test")
    free = bookable_slots(
        patient=patient, therapist=online_therapist, service_type=first_session_service(), week=next_monday
    )
    program = GroupProgram.objects.order_by("pk").first()
    lecture = (
        GroupProgram.objects.filter(kind="lecture", stage="launched", enrollments__registrant__isnull=False)
        .order_by("pk")
        .first()
    )
    planned = GroupProgram.objects.filter(kind="lecture", stage="proposed").order_by("pk").first()
    plan = TreatmentPlan.objects.filter(author__email="sarah.chen@clinic.test", status="signed").order_by("pk").first()
    thread = MessageThread.objects.filter(patient=patient).order_by("pk").first()
    prompt = (
        Assignment.objects.filter(patient=patient, item__kind=ItemKind.JOURNALING_PROMPT, withdrawn_at__isnull=True)
        .order_by("pk")
        .first()
    )
    return {
        "library_prompt": prompt.pk if prompt else None,
        "thread": thread.pk if thread else None,
        "plan": plan.pk if plan else None,
        "patient": patient.pk,
        "upcoming": upcoming.pk if upcoming else None,
        "movable": movable.pk if movable else None,
        "online_therapist": online_therapist.pk,
        "free_start": free[0].local_start.isoformat() if free else None,
        "next_week": next_monday.isoformat(),
        "program": program.pk if program else None,
        "lecture": lecture.pk if lecture else None,
        "planned_lecture": planned.pk if planned else None,
        "patient_email": PORTAL_PATIENT_EMAIL,
        "west": Location.objects.get(name=WEST_OFFICE).pk,
        "questionnaire": IntakeDocument.objects.get(kind=DocumentKind.QUESTIONNAIRE).pk,
    }


def portal_shots(ids: dict) -> list[Shot]:
    shots = [
        Shot("portal-home", "/portal/", "Portal home"),
        Shot("portal-sessions", "/portal/sessions/", "Upcoming sessions"),
        Shot("portal-book", "/portal/book/", "Book a first session: choose a therapist"),
        Shot(
            "portal-book-week",
            f"/portal/book/{ids['online_therapist']}/?week={ids['next_week']}",
            "Book a first session: free times",
        ),
        Shot("portal-billing", "/portal/billing/", "Balance, fee, receipts and statements"),
        Shot("portal-sliding-scale", "/portal/billing/apply/", "Sliding-scale application"),
        Shot("portal-programs", "/portal/programs/", "Group programs and waitlist"),
        Shot("portal-weekly-time", "/portal/programs/slots/", "Waiting for a weekly time"),
        Shot("portal-forms", "/portal/forms/", "Forms to sign"),
        Shot("portal-form-sign", f"/portal/forms/{ids['questionnaire']}/", "Intake questionnaire"),
        Shot("portal-questionnaires", "/portal/questionnaires/", "Questionnaires"),
        Shot("portal-journal", "/portal/journal/", "Journal"),
        Shot("portal-library", "/portal/library/", "Reading material from your therapist"),
        Shot("portal-settings", "/portal/settings/", "Contact details and reminders"),
        Shot("portal-messages", "/portal/messages/", "Messages with the clinic"),
        Shot("portal-message-new", "/portal/messages/new/", "Write to the clinic"),
        Shot("portal-records", "/portal/records/", "Your records"),
        Shot("portal-ladder", "/portal/care/", "Where you are and what comes next"),
    ]
    if ids["lecture"]:
        # Public pages: anyone may open them; the portal patient's session makes no difference to what they show.
        shots.append(Shot("public-lectures", "/lectures/", "Public lectures: open to everyone"))
        shots.append(
            Shot("public-lecture", f"/lectures/{ids['lecture']}/", "Public lecture: register by name and email")
        )
    if ids["planned_lecture"]:
        shots.append(
            Shot(
                "public-lecture-planned",
                f"/lectures/{ids['planned_lecture']}/",
                "Public lecture being planned: join the interest list",
            )
        )
    if ids["thread"]:
        shots.append(Shot("portal-message-thread", f"/portal/messages/{ids['thread']}/", "A conversation"))
    if ids["library_prompt"]:
        shots.append(Shot("portal-library-prompt", f"/portal/library/{ids['library_prompt']}/", "A journaling prompt"))
    if ids["upcoming"]:
        shots.insert(2, Shot("portal-cancel", f"/portal/sessions/{ids['upcoming']}/cancel/", "Cancel a session"))
    if ids["free_start"]:
        confirm = f"/portal/book/{ids['online_therapist']}/confirm/?start={quote(ids['free_start'])}"
        shots.insert(5, Shot("portal-book-confirm", confirm, "Book a first session: fee and estimate"))
    if ids["movable"]:
        shots.insert(3, Shot("portal-move", f"/portal/book/move/{ids['movable']}/", "Move a session"))
    return shots


def staff_shots(ids: dict) -> dict[str, list[Shot]]:
    plan = (
        [Shot("staff-treatment-plan", f"/notes/plans/{ids['plan']}/", "Therapist: treatment plan")]
        if ids["plan"]
        else []
    )
    thread = (
        [Shot("staff-message-thread", f"/inbox/{ids['thread']}/", "Front desk: a patient's conversation")]
        if ids["thread"]
        else []
    )
    return {
        "frontdesk@clinic.test": [
            Shot("staff-home", "/", "Front desk: today"),
            Shot("staff-calendar", "/schedule/", "Front desk: calendar"),
            Shot(
                "staff-calendar-west",
                f"/schedule/?location={ids['west']}&date={ids['next_week']}",
                "Front desk: one office's week, in its own time",
            ),
            Shot("staff-patients", "/patients/", "Front desk: patients"),
            Shot("staff-patient", f"/patients/{ids['patient']}/", "Front desk: patient chart"),
            Shot("staff-series", "/schedule/series/new/", "Front desk: book a weekly series"),
            Shot("staff-inbox", "/inbox/", "Front desk: patients' messages"),
            *thread,
            Shot("staff-intake", "/intake/", "Front desk: intake forms outstanding"),
            Shot("staff-referrals", "/referrals/", "Front desk: referrals and medical clearance"),
            Shot("staff-work-queue", "/programs/work-queue/", "Front desk: people waiting with no next step"),
        ],
        "sarah.chen@clinic.test": [
            Shot("staff-my-day", "/schedule/my-day/", "Therapist: my day"),
            Shot("staff-availability", "/schedule/availability/", "Therapist: working hours and time off"),
            Shot("staff-unsigned-notes", "/notes/unsigned/", "Therapist: unsigned notes"),
            *plan,
        ],
        "billing@clinic.test": [
            Shot("staff-billing", "/billing/", "Billing: overview"),
            Shot("staff-assessments", "/billing/assessments/", "Billing: sliding-scale applications"),
        ],
        "admin@clinic.test": [
            Shot("staff-locations", "/schedule/locations/", "Admin: locations"),
            Shot("staff-location", f"/schedule/locations/{ids['west']}/", "Admin: an office, its hours and rooms"),
            Shot("staff-programs", "/programs/", "Programs"),
            *(
                [Shot("staff-lecture", f"/programs/{ids['lecture']}/", "A lecture series: registrants and fees")]
                if ids["lecture"]
                else []
            ),
            Shot("staff-messages", "/messages/", "Reminder delivery"),
            Shot("staff-ladder-report", "/ladder/report/", "Admin: the ladder report"),
            Shot("staff-library", "/education/", "Education library"),
            Shot("staff-users", "/accounts/users/", "Admin: the staff, their roles and access"),
        ],
    }


def sign_in(page, email: str, password: str, totp_key: str | None) -> None:
    from django_otp.oath import totp

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if totp_key:
        page.get_by_label("6-digit code from your authenticator app").fill(f"{totp(bytes.fromhex(totp_key)):06d}")
        page.get_by_role("button", name="Continue").click()
    # The click returns before the sign-in POST answers; the next goto must not cut it off.
    page.wait_for_url(lambda url: "/accounts/" not in url)


def capture(browser, base_url: str, email: str, password: str, totp_key: str | None, shots: list[Shot]) -> list:
    context = browser.new_context(base_url=base_url, viewport=WIDTHS["desktop"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, email, password, totp_key)
    made = []
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        for shot in shots:
            # networkidle: the calendar and charts fetch their data after the page loads.
            response = page.goto(shot.path, wait_until="networkidle")
            if response is None or response.status != 200:
                raise SystemExit(f"{shot.path} answered {response.status if response else 'nothing'} for {email}")
            target = OUT / f"{shot.name}-{width}.png"
            height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_HEIGHT)
            page.screenshot(
                path=str(target), full_page=True, clip={"x": 0, "y": 0, "width": viewport["width"], "height": height}
            )
            made.append(target)
    context.close()
    return made


def main() -> None:
    from playwright.sync_api import sync_playwright

    port = free_port()
    env = environment(port)
    database_ensure(DATABASE_URL)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "seed_demo")
    ids = demo_ids(env)

    from apps.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_KEY

    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(  # noqa: S603 (fixed arguments)
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_serving(base_url, server)
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("*.png"):
            old.unlink()
        made = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            made += capture(browser, base_url, ids["patient_email"], DEMO_PASSWORD, None, portal_shots(ids))
            for email, shots in staff_shots(ids).items():
                made += capture(browser, base_url, email, DEMO_PASSWORD, DEMO_TOTP_KEY, shots)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    print(f"{len(made)} screenshots in {OUT.relative_to(ROOT)}/")


def database_ensure(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


if __name__ == "__main__":
    main()
