"""Every portal form, and the public lecture registration, refuses in the patient's words: a sentence naming the
field by its label, at the top of the page in the shared error summary and beside the field, never Django's own
wording, and with the status every portal form answers when sent back refused (422)."""

import html
import inspect
import re
from decimal import Decimal

import pytest
from django.forms import BaseForm
from django.test import override_settings
from django.urls import URLResolver, get_resolver
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.accounts import mfa
from apps.core.forms import FORM_REFUSED_STATUS, PlainWordsMixin
from apps.education import services as education
from apps.education.models import ItemKind
from apps.messaging.models import MessageThread
from apps.outcomes.models import JournalEntry
from apps.programs.models import Enrollment
from apps.programs.services.lecture_terms import lecture_service_type
from apps.programs.services.lectures import CONSENT_ASKED
from apps.waitlist.models import SlotRequest
from tests.factories import PASSWORD, RoomFactory, ServiceTypeFactory
from tests.programs.factories import scheduled_program

pytestmark = pytest.mark.django_db

DJANGO_WORDING = (
    "This field is required.",
    "Ensure this value",
    "Select a valid choice",
    "Enter a whole number.",
    "Enter a valid",
    "Enter a list of values.",
)


def _field_errors(body: str) -> list[str]:
    return [html.unescape(e) for e in re.findall(r'<ul class="errorlist">\s*<li>(.*?)</li>', body)]


def _refused(response, *, anchor: str) -> list[str]:
    """The field errors of a page sent back refused, after checking what every refused portal form shows: the
    status, the summary at the top pointing to the first answer to fix, and none of Django's own words."""
    body = response.content.decode()
    assert response.status_code == FORM_REFUSED_STATUS
    assert 'id="error-summary"' in body and "Some answers need attention" in body
    assert f'href="#{anchor}"' in body
    assert not [wording for wording in DJANGO_WORDING if wording in body]
    return _field_errors(body)


def test_a_blank_journal_entry_asks_for_the_writing(personas, login):
    response = login(personas.patient_user).post("/portal/journal/", {"text": "  "})

    assert _refused(response, anchor="id_text") == ["Fill in “What is on your mind?”"]
    assert not JournalEntry.objects.exists()


def test_a_journal_entry_too_long_says_by_how_much(personas, login):
    response = login(personas.patient_user).post("/portal/journal/", {"text": "a" * 20_345})

    assert _refused(response, anchor="id_text") == [
        "Shorten “What is on your mind?” to 20,000 characters or fewer: it has 20,345, 345 too many."
    ]
    assert not JournalEntry.objects.exists()


def test_an_entry_being_changed_is_refused_in_the_same_words(personas, login):
    client = login(personas.patient_user)
    client.post("/portal/journal/", {"text": "Tight shoulders after the call."})
    entry = JournalEntry.objects.get()

    response = client.post(f"/portal/journal/{entry.pk}/", {"text": ""})

    assert _refused(response, anchor="id_text") == ["Fill in “What is on your mind?”"]


@pytest.fixture
def shared_prompt(personas):
    prompt = education.library_item_create(
        actor=personas.therapist,
        title="What was happening in your life when the pain began?",
        kind=ItemKind.JOURNALING_PROMPT,
        description="Write freely about the months before the pain.",
    )
    return education.assignment_create(actor=personas.therapist, patient=personas.patient, item=prompt)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("", "Fill in “Your entry”."),
        ("b" * 20_001, "Shorten “Your entry” to 20,000 characters or fewer: it has 20,001, 1 too many."),
    ],
)
def test_a_library_entry_is_refused_in_plain_words(personas, login, shared_prompt, text, said):
    response = login(personas.patient_user).post(f"/portal/library/{shared_prompt.pk}/", {"text": text})

    assert _refused(response, anchor="id_text") == [said]
    assert not shared_prompt.entries.exists()


def test_a_new_message_left_empty_asks_for_its_subject_and_its_words(personas, login):
    response = login(personas.patient_user).post("/portal/messages/new/", {"subject": "", "text": ""})

    assert _refused(response, anchor="id_subject") == ["Fill in “Subject”.", "Fill in “Your message”."]
    assert not MessageThread.objects.exists()


def test_a_new_message_too_long_says_which_part_and_by_how_much(personas, login):
    posted = {"subject": "s" * 151, "text": "t" * 10_002}

    response = login(personas.patient_user).post("/portal/messages/new/", posted)

    assert _refused(response, anchor="id_subject") == [
        "Shorten “Subject” to 150 characters or fewer: it has 151, 1 too many.",
        "Shorten “Your message” to 10,000 characters or fewer: it has 10,002, 2 too many.",
    ]
    assert not MessageThread.objects.exists()


def test_a_reply_left_empty_is_refused_in_the_same_words(personas, login):
    client = login(personas.patient_user)
    client.post("/portal/messages/new/", {"subject": "Parking", "text": "Where do I park?"})
    thread = MessageThread.objects.get()

    response = client.post(f"/portal/messages/{thread.pk}/", {"text": ""})

    assert _refused(response, anchor="id_text") == ["Fill in “Your message”."]


def test_a_waitlist_request_left_empty_asks_for_each_answer(personas, login):
    response = login(personas.patient_user).post("/portal/programs/slots/", {"therapist": ""})

    assert _refused(response, anchor="id_service_type") == [
        "Choose an answer for “Session”.",
        "Choose at least one answer for “Days that work for you”.",
        "Fill in “Earliest start”.",
        "Fill in “Latest start”.",
    ]
    assert not SlotRequest.objects.exists()


def test_a_waitlist_request_with_answers_not_offered_says_so_for_each(personas, login):
    group = ServiceTypeFactory(is_group=True)  # not a choice for a weekly time
    posted = {
        "therapist": "999999",
        "service_type": group.pk,
        "weekdays": ["9"],
        "earliest_start": "soon",
        "latest_start": "25:00",
    }

    response = login(personas.patient_user).post("/portal/programs/slots/", posted)

    assert _refused(response, anchor="id_therapist") == [
        "Choose one of the answers offered for “Therapist”.",
        "Choose one of the answers offered for “Session”.",
        "Choose one of the answers offered for “Days that work for you”.",
        "Enter “Earliest start” as a time, for example 09:30 or 14:30.",
        "Enter “Latest start” as a time, for example 09:30 or 14:30.",
    ]
    assert not SlotRequest.objects.exists()


def test_forms_sent_with_nothing_in_them_are_refused_as_left_blank_not_shown_anew(personas, login, shared_prompt):
    """A post with no answer at all (a field the browser leaves out, nothing ticked) is a form sent, refused in the
    same words as one left blank, not the empty form shown again as if asked for."""
    client = login(personas.patient_user)
    client.post("/portal/journal/", {"text": "Tight shoulders after the call."})
    entry = JournalEntry.objects.get()
    client.post("/portal/messages/new/", {"subject": "Parking", "text": "Where do I park?"})
    thread = MessageThread.objects.get()
    pages = {
        "/portal/journal/": ("id_text", ["Fill in “What is on your mind?”"]),
        f"/portal/journal/{entry.pk}/": ("id_text", ["Fill in “What is on your mind?”"]),
        f"/portal/library/{shared_prompt.pk}/": ("id_text", ["Fill in “Your entry”."]),
        "/portal/messages/new/": ("id_subject", ["Fill in “Subject”.", "Fill in “Your message”."]),
        f"/portal/messages/{thread.pk}/": ("id_text", ["Fill in “Your message”."]),
        "/portal/programs/slots/": ("id_service_type", None),
    }
    for url, (anchor, said) in pages.items():
        errors = _refused(client.post(url, {}), anchor=anchor)
        assert said is None or errors == said, url
    assert JournalEntry.objects.count() == 1 and not shared_prompt.entries.exists()
    assert thread.messages.count() == 1 and MessageThread.objects.count() == 1
    assert not SlotRequest.objects.exists()


# The public lecture registration, filled in by anyone: the same words as the patients' forms.


@pytest.fixture
def sliding_lecture(personas, request):
    """A lecture series at a sliding price, in a room, or by video when the test asks (`by_video`)."""
    by_video = getattr(request, "param", False)
    return scheduled_program(
        actor=personas.admin,
        is_telehealth=by_video,
        room=None if by_video else RoomFactory(),
        kind="lecture",
        service_type=lecture_service_type(),
        fee_mode="sliding",
        full_price=Decimal("20.00"),
        reduced_price=Decimal("5.00"),
    )


@override_settings(CLINIC_LECTURE_REGISTRATION_RATE="1000/min")
@pytest.mark.parametrize(
    ("sliding_lecture", "price"),
    [(False, "The price you will pay at the door"), (True, "The price you will pay")],
    ids=["in-a-room", "by-video"],
    indirect=["sliding_lecture"],
)
def test_a_lecture_registration_left_empty_asks_for_each_answer(client, sliding_lecture, price):
    response = client.post(f"/lectures/{sliding_lecture.pk}/", {})

    assert _refused(response, anchor="id_name") == [
        "Fill in “Your name”.",
        "Fill in “Your email”.",
        f"Choose an answer for “{price}”.",
        CONSENT_ASKED,
    ]
    assert not Enrollment.objects.exists()


@override_settings(CLINIC_LECTURE_REGISTRATION_RATE="1000/min")
def test_a_lecture_registration_with_a_wrong_email_and_price_says_what_to_enter(client, sliding_lecture):
    posted = {"name": "n" * 201, "email": "robin@", "fee_tier": "free", "consent": "on"}

    response = client.post(f"/lectures/{sliding_lecture.pk}/", posted)

    assert _refused(response, anchor="id_name") == [
        "Shorten “Your name” to 200 characters or fewer: it has 201, 1 too many.",
        "Enter “Your email” as an email address, for example name@example.com.",
        "Choose one of the answers offered for “The price you will pay at the door”.",
    ]
    assert not Enrollment.objects.exists()


# The sign-in code: asked of a patient who turned two-step sign-in on, when they sign in with their password.


def _step(device) -> int:
    """The device's time step now, read from the real clock as django-otp reads it."""
    return TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()


def _code_at(device, step: int) -> str:
    return f"{hotp(device.bin_key, step, device.digits):06d}"


def _never_shown(device) -> str:
    """A code the app showed at no time in the last minutes nor shows next: a wrong one, whatever the hour."""
    now = _step(device)
    shown = {_code_at(device, t) for t in range(now - 20, now + 20)}
    return next(code for code in (f"{n:06d}" for n in range(1_000_000)) if code not in shown)


@pytest.fixture
def signing_in(personas, client):
    """A patient with two-step sign-in on, signed in with their password: the code page is what comes next."""
    device = TOTPDevice.objects.create(user=personas.patient_user, name="phone", confirmed=True)
    response = client.post("/accounts/login/", {"username": personas.patient_user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client, device


def _used_now(device) -> str:
    """The code the app shows now, once it has been used to sign in (the device remembers its step)."""
    step = _step(device)
    TOTPDevice.objects.filter(pk=device.pk).update(last_t=step)
    return _code_at(device, step)


CODE_CASES = [
    pytest.param(lambda device: "", mfa.CODE_ASKED, id="blank"),
    pytest.param(lambda device: "12345", mfa.CODE_DIGITS, id="too-short"),
    pytest.param(lambda device: "12ab56", mfa.CODE_DIGITS, id="not-digits"),
    pytest.param(_never_shown, mfa.CODE_WRONG, id="wrong"),
    pytest.param(lambda device: _code_at(device, _step(device) - 4), mfa.CODE_EXPIRED, id="expired"),
    pytest.param(_used_now, mfa.CODE_REUSED, id="reused"),
]


@pytest.mark.parametrize(("code_of", "said"), CODE_CASES)
def test_the_sign_in_code_is_refused_with_one_plain_sentence(signing_in, code_of, said):
    client, device = signing_in

    response = client.post("/accounts/mfa/verify/", {"token": code_of(device)})

    assert _refused(response, anchor="id_token") == [said]
    assert client.get("/portal/").status_code == 302  # still asked for the code


def test_after_a_code_that_did_not_match_the_next_one_waits_and_says_how_long(signing_in):
    client, device = signing_in
    client.post("/accounts/mfa/verify/", {"token": _never_shown(device)})

    response = client.post("/accounts/mfa/verify/", {"token": _code_at(device, _step(device))})

    [said] = _refused(response, anchor="id_token")
    assert re.fullmatch(
        r"Too many codes did not match\. Wait \d+ seconds?, then enter the code your app shows now\.", said
    ), said


@pytest.mark.parametrize(("code_of", "said"), CODE_CASES)
def test_turning_two_step_on_refuses_a_code_in_the_same_words(personas, login, code_of, said):
    client = login(personas.patient_user)
    assert client.get("/portal/settings/two-step/").status_code == 200
    device = TOTPDevice.objects.get(user=personas.patient_user, confirmed=False)

    response = client.post("/portal/settings/two-step/", {"token": code_of(device)})

    assert _refused(response, anchor="id_token") == [said]
    assert not TOTPDevice.objects.filter(user=personas.patient_user, confirmed=True).exists()


def test_turning_two_step_off_without_a_code_says_it_is_still_on_once(signing_in):
    client, device = signing_in
    client.post("/accounts/mfa/verify/", {"token": _code_at(device, _step(device))})
    assert client.get("/portal/settings/").status_code == 200

    response = client.post("/portal/settings/two-step/off/", {"token": ""})

    assert _refused(response, anchor="off_token") == [mfa.CODE_ASKED]
    assert response.content.decode().count("Two-step sign-in is still on.") == 1
    assert TOTPDevice.objects.filter(pk=device.pk).exists()


# Every form a portal page shows derives from the one base that words refusals plainly.


def _portal_views():
    """(route, view) for every page under /portal/, the sign-in code page patients reach on their way in, and the
    public lecture pages."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            else:
                yield route, pattern.callback

    for route, view in walk(get_resolver().url_patterns):
        if route.startswith(("portal/", "lectures/")) or route in ("accounts/mfa/verify/", "accounts/mfa/setup/"):
            yield route, view


def _forms_reached(function, seen: set) -> set[type]:
    """The form classes a view names, in its own code or in the functions of ours it calls (followed through names
    and module attributes): what it can render."""
    function = inspect.unwrap(function)
    if function in seen or not getattr(function, "__module__", "").startswith("apps."):
        return set()
    seen.add(function)
    names, codes = set(), [function.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        names.update(code.co_freevars)
        codes.extend(const for const in code.co_consts if inspect.iscode(const))
    scope = dict(function.__globals__)
    if function.__closure__:
        scope.update(
            zip(function.__code__.co_freevars, (cell.cell_contents for cell in function.__closure__), strict=True)
        )
    found, modules = set(), [value for value in scope.values() if inspect.ismodule(value)]
    for name in names:
        candidates = [scope.get(name)] + [getattr(module, name, None) for module in modules]
        for value in candidates:
            if inspect.isclass(value) and issubclass(value, BaseForm):
                found.add(value)
            elif inspect.isfunction(value):
                found |= _forms_reached(value, seen)
    return found


def test_every_form_a_portal_page_shows_words_its_refusals_plainly():
    forms = set()
    for _route, view in _portal_views():
        forms |= _forms_reached(view, set())

    # The walk finds the forms it must, so a pass means something.
    names = {form.__name__ for form in forms}
    assert {"JournalEntryForm", "EntryForm", "NewThreadForm", "ReplyForm", "SlotRequestForm", "TokenForm"} <= names
    assert {"ContactDetailsForm", "ReminderPreferencesForm", "AssessmentForm", "PayForm", "QuestionnaireForm"} <= names
    assert "LectureRegistrationForm" in names
    plain = sorted(form.__name__ for form in forms if not issubclass(form, PlainWordsMixin))
    assert plain == [], f"portal forms that do not derive from PlainWordsMixin: {plain}"
