"""Pages that carry several forms give each element its own id, and each label names an element that is there.

Two forms with a field of the same name both render id="id_<name>" unless one is given a prefix or an auto_id:
the browser then ties a label to the first element with that id, so clicking "Email for reminders" ticks another
form's checkbox, and a screen reader reads the field under the wrong name."""

import datetime as dt
from collections import Counter
from html.parser import HTMLParser

import pytest

from apps.billing.demo import config_seed
from apps.billing.services.charges import charge_for_appointment_outcome
from apps.billing.services.plans import payment_plan_create
from apps.core import clock
from apps.notes.models import NoteTemplate
from apps.notes.services import note_create, note_sign, note_templates_ensure
from apps.scheduling import services as scheduling
from apps.scheduling.models import WorkingHours
from tests.billing.helpers import past_appointment
from tests.factories import ServiceTypeFactory
from tests.notes.conftest import complete_progress_content

pytestmark = pytest.mark.django_db


class _IdsAndLabels(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: Counter[str] = Counter()
        self.label_targets: list[str] = []
        self.forms = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids[attributes["id"]] += 1
        self.forms += tag == "form"
        if tag == "label" and attributes.get("for"):
            self.label_targets.append(attributes["for"])


def _parsed(html: str) -> _IdsAndLabels:
    parser = _IdsAndLabels()
    parser.feed(html)
    parser.close()
    return parser


def id_problems(html: str) -> dict:
    """Ids used more than once, and labels whose for= names no element."""
    parser = _parsed(html)
    return {
        "repeated ids": sorted(name for name, count in parser.ids.items() if count > 1),
        "labels for nothing": sorted(set(parser.label_targets) - set(parser.ids)),
    }


NO_PROBLEMS = {"repeated ids": [], "labels for nothing": []}


def test_the_check_itself_finds_a_repeated_id_and_a_label_for_nothing():
    html = '<input id="id_email"><label for="id_email">A</label><input id="id_email"><label for="id_gone">B</label>'
    assert id_problems(html) == {"repeated ids": ["id_email"], "labels for nothing": ["id_gone"]}


@pytest.fixture
def clinic_day(personas, settings):
    """The personas' patient with a weekly series ahead, a balance on a payment plan, a signed and a draft note."""
    settings.CLINIC_PAYMENT_BACKEND = "sandbox"  # the portal offers paying by card, so its pay forms are shown
    individual = ServiceTypeFactory(code="90834", name="Individual psychotherapy, 45 min", duration_minutes=45)
    config_seed()  # fees for the service types there are
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=personas.therapist, weekday=weekday, start_time=dt.time(8, 0), end_time=dt.time(20, 0)
        )
    series = scheduling.series_book(
        actor=personas.front_desk,
        therapist=personas.therapist,
        patient=personas.patient,
        service_type=individual,
        first_date=clock.local_now().date() + dt.timedelta(days=28),
        local_start_time=dt.time(15, 0),
        occurrence_count=3,
    )
    past = []
    for days_ago in (2, 9, 16):
        session = past_appointment(
            personas.patient, service_type=individual, days_ago=days_ago, therapist=personas.therapist
        )
        charge_for_appointment_outcome(appointment=session, actor=None)
        past.append(session)
    payment_plan_create(
        actor=personas.front_desk,
        patient=personas.patient,
        instalments=2,
        first_due=clock.local_now().date() + dt.timedelta(days=10),
        total="400",
    )
    note_templates_ensure()
    template = NoteTemplate.objects.get(name="Psychodynamic TMS progress note")
    draft = note_create(actor=personas.therapist, appointment=past[0], template=template, content={})
    signed = note_create(
        actor=personas.therapist, appointment=past[1], template=template, content=complete_progress_content()
    )
    note_sign(note=signed, actor=personas.therapist, attest=True)
    return {"session": series.booked[0], "draft": draft, "signed": signed}


PAGES = {
    "portal settings": ("patient_user", lambda p, day: "/portal/settings/"),
    "portal billing": ("patient_user", lambda p, day: "/portal/billing/"),
    "staff session page": ("front_desk", lambda p, day: f"/schedule/appointments/{day['session'].pk}/"),
    "session page, therapist": ("therapist", lambda p, day: f"/schedule/appointments/{day['session'].pk}/"),
    "patient billing page": ("billing", lambda p, day: f"/billing/patients/{p.patient.pk}/"),
    "patient billing page, admin": ("admin", lambda p, day: f"/billing/patients/{p.patient.pk}/"),
    "patient chart, front desk": ("front_desk", lambda p, day: f"/patients/{p.patient.pk}/"),
    "patient chart, therapist": ("therapist", lambda p, day: f"/patients/{p.patient.pk}/"),
    "staff page": ("admin", lambda p, day: f"/accounts/users/{p.therapist.pk}/"),
    "draft note": ("therapist", lambda p, day: f"/notes/{day['draft'].pk}/"),
    "signed note": ("therapist", lambda p, day: f"/notes/{day['signed'].pk}/"),
}


@pytest.mark.parametrize("page", PAGES)
def test_every_id_is_unique_and_every_label_names_an_element(page, personas, login, clinic_day):
    persona, path_of = PAGES[page]
    response = login(getattr(personas, persona)).get(path_of(personas, clinic_day))
    assert response.status_code == 200, response.content[:500]
    html = response.content.decode()
    assert _parsed(html).forms >= 2, "the page no longer shows the several forms this check is about"
    assert id_problems(html) == NO_PROBLEMS


# A refused form is shown again as it was sent, bound: its ids must stay its own too.
REFUSED = {
    "portal settings, reminders refused": (
        "patient_user",
        lambda p, day: "/portal/settings/reminders/",
        {"email": "on", "sms": "on"},
    ),
    "portal billing, payment refused": ("patient_user", lambda p, day: "/portal/billing/pay/", {"amount": "abc"}),
    "session page, cancel refused": (
        "front_desk",
        lambda p, day: f"/schedule/appointments/{day['session'].pk}/cancel/",
        {"scope": "all of them"},
    ),
    "session page, move refused": (
        "front_desk",
        lambda p, day: f"/schedule/appointments/{day['session'].pk}/reschedule/",
        {"date": "soon"},
    ),
}


@pytest.mark.parametrize("page", REFUSED)
def test_a_page_showing_a_refused_form_again_keeps_ids_unique(page, personas, login, clinic_day):
    persona, path_of, data = REFUSED[page]
    response = login(getattr(personas, persona)).post(path_of(personas, clinic_day), data)
    assert response.status_code in (400, 422), response.content[:500]
    html = response.content.decode()
    assert 'class="errorlist"' in html
    assert id_problems(html) == NO_PROBLEMS
