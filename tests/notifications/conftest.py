"""Local stand-ins for the outside world: an SMTP server that counts what it accepts, and Twilio's API."""

import asyncio
import json
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller

from apps.core.models import ClinicSettings
from tests.factories import AppointmentFactory, RoomFactory

MESSAGE_ID = re.compile(rb"^Message-ID: (<[^>]+>)", re.MULTILINE | re.IGNORECASE)


class CountingHandler:
    """Records every message the server accepted (after the end-of-data mark), keyed by Message-ID, and the
    connections that sent mail. `refuse` maps a recipient address to the reply its RCPT gets instead of 250."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []
        self.peers = set()
        self.refuse = {}

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.peers.add(session.peer)
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        found = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.messages.append(
                {
                    "to": list(envelope.rcpt_tos),
                    "message_id": found.group(1).decode() if found else None,
                    "content": envelope.content,
                }
            )
        return "250 Message accepted"

    def counts(self) -> Counter:
        with self.lock:
            return Counter(m["message_id"] for m in self.messages)


class LocalSMTP(Controller):
    """aiosmtpd on 127.0.0.1, on a free port the OS picks."""

    def __init__(self, handler):
        super().__init__(handler, hostname="127.0.0.1", port=0)

    def _trigger_server(self):
        # The server is bound to port 0; learn the real port before the readiness probe connects.
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class AnswersAfterQueueing(CountingHandler):
    """Queues every message it reads to the end, then waits `delay` seconds before it says so with `answer`: a delay
    longer than the sender waits leaves it not knowing whether the message was taken."""

    def __init__(self, *, delay: float = 0, answer: str = "250 Message accepted"):
        super().__init__()
        self.delay = delay
        self.answer = answer

    async def handle_DATA(self, server, session, envelope):
        await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return self.answer


@pytest.fixture
def mail_server(settings):
    """mail_server(handler) starts a local SMTP server with that handler and sends the clinic's email to it."""
    controllers = []

    def start(handler):
        controller = LocalSMTP(handler)
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def smtp_server():
    handler = CountingHandler()
    controller = LocalSMTP(handler)
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def smtp_settings(settings, smtp_server):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    return smtp_server.handler


class TwilioStandIn(BaseHTTPRequestHandler):
    """Answers POST /2010-04-01/Accounts/<sid>/Messages.json like Twilio; `fail_with` forces an error."""

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        server = self.server
        server.requests.append({"path": self.path, "form": form, "auth": self.headers.get("Authorization", "")})
        if server.fail_with:
            status, code = server.fail_with
            body = {"code": code, "message": "Stand-in error", "status": status, "more_info": ""}
        else:
            status = 201
            body = {"sid": f"SM{len(server.requests):032d}", "status": "queued", "to": form.get("To")}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio_api(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), TwilioStandIn)
    server.requests = []
    server.fail_with = None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.CLINIC_SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "stand-in-auth-token"
    settings.TWILIO_FROM_NUMBER = "+16175550000"
    settings.TWILIO_MESSAGING_SERVICE_SID = ""
    settings.TWILIO_API_BASE_URL = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def clinic(db):
    clinic = ClinicSettings.load()
    clinic.name = "Harbor Mind-Body Clinic"
    clinic.phone = "617-555-0100"
    clinic.save()
    return clinic


@pytest.fixture
def appointment(personas, clinic):
    """The persona patient's session with Theo, next Monday 10:00 clinic time, in a room."""
    return AppointmentFactory(therapist=personas.therapist, patient=personas.patient, room=RoomFactory(name="Room 2"))


@pytest.fixture
def set_reminders(personas):
    """set_reminders(email=, sms=) records the persona patient's choices; texts come with consent."""
    from apps.patients.services import patient_reminder_preferences_set

    def _set(*, email: bool, sms: bool):
        patient_reminder_preferences_set(
            actor=personas.front_desk, patient=personas.patient, email=email, sms=sms, sms_consent=sms
        )
        personas.patient.refresh_from_db()

    return _set


def reminder_texted(appointment, *, provider_id: str = ""):
    """A text reminder of `appointment`, sent to its patient's number."""
    from apps.core import clock
    from apps.notifications.models import Message, MessageStatus
    from apps.notifications.outbox import message_enqueue

    message = message_enqueue(
        channel="sms",
        to_address=appointment.patient.phone,
        purpose="reminder_sms",
        template="appointment_reminder",
        subject=appointment,
        send_at=clock.now(),
        dedupe_key=f"sms-reminder-{appointment.pk}",
        patient=appointment.patient,
    )
    Message.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENT, sent_at=clock.now(), provider_id=provider_id
    )
    message.refresh_from_db()
    return message


@pytest.fixture
def texted_reminder(appointment, personas, set_reminders):
    """The persona patient takes texts, and their session's reminder was texted to them."""
    set_reminders(email=True, sms=True)
    appointment.patient.refresh_from_db()
    return reminder_texted(appointment, provider_id="SM123")


def reminders_due_for_patients(count: int) -> list:
    """One email reminder due now for each of `count` patients, oldest first (the order a batch sends them in)."""
    from apps.core import clock
    from apps.notifications.models import Message
    from apps.scheduling.reminders import appointment_reminders_schedule
    from tests.factories import PatientFactory, TherapistFactory

    rows = [
        row
        for _ in range(count)
        for row in appointment_reminders_schedule(
            appointment=AppointmentFactory(therapist=TherapistFactory(), patient=PatientFactory())
        )
    ]
    Message.objects.filter(pk__in=[r.pk for r in rows]).update(send_at=clock.now())
    return rows
