"""A starter library for the demo clinic, and material shared with the portal patient by their therapist: a reading
marked done and a journaling prompt with one entry. Idempotent: items are keyed on their titles, and a patient who
already has material is left alone. Nothing here depends on the hour it runs."""

from apps.accounts.models import User
from apps.accounts.roles import Role
from apps.patients.demo import PORTAL_PATIENT_EMAIL
from apps.patients.models import Patient

from .models import Assignment, CareLevel, ItemKind, LibraryItem
from .services import assignment_create, assignment_mark_done, library_item_create, prompt_entry_write

STARTER_LIBRARY = [
    {
        "title": "Healing Back Pain, chapters 1–3",
        "kind": ItemKind.READING,
        "care_level": CareLevel.EDUCATION,
        "description": "Dr. John Sarno's account of tension myositis syndrome: how repressed emotion can produce real "
        "pain, and why understanding that is the first step. Read slowly; notice what feels familiar.",
        "link": "https://www.worldcat.org/search?q=Healing+Back+Pain+Sarno",
    },
    {
        "title": "The mind-body approach to chronic pain: an introduction",
        "kind": ItemKind.READING,
        "care_level": CareLevel.EDUCATION,
        "description": "A short overview of pain reprocessing and psychophysiologic disorders: what the brain does "
        "with danger signals, and why pain can persist after tissues heal.",
        "link": "https://www.painreprocessingtherapy.com/",
    },
    {
        "title": "Recorded lecture: emotions, the nervous system and pain",
        "kind": ItemKind.RECORDING,
        "care_level": CareLevel.LECTURE_SERIES,
        "description": "The clinic's opening lecture (about an hour). Good to watch before joining a lecture series.",
        "link": "https://www.youtube.com/results?search_query=mind+body+chronic+pain+lecture",
    },
    {
        "title": "What was happening in your life when the pain began?",
        "kind": ItemKind.JOURNALING_PROMPT,
        "care_level": CareLevel.EDUCATION,
        "description": "Think back to the months before the pain started. Write about work, family, losses, changes "
        "and pressures, even those that seem unrelated. Let it be messy; nobody grades it.",
    },
    {
        "title": "What are you angry about that you have not said out loud?",
        "kind": ItemKind.JOURNALING_PROMPT,
        "care_level": CareLevel.GROUP,
        "description": "Anger we keep to ourselves is a common driver of tension pain. Write it as it comes, without "
        "softening it.",
    },
    {
        "title": "Your inner critic and the need to be good",
        "kind": ItemKind.JOURNALING_PROMPT,
        "care_level": CareLevel.INDIVIDUAL,
        "description": "List the ways you push yourself to be perfect or to please others. How does it feel to fall "
        "short? Bring what you notice to your next session.",
    },
]


def _library(author) -> dict[str, LibraryItem]:
    items = {item.title: item for item in LibraryItem.objects.filter(title__in=[e["title"] for e in STARTER_LIBRARY])}
    for entry in STARTER_LIBRARY:
        if entry["title"] not in items:
            items[entry["title"]] = library_item_create(actor=author, **entry)
    return items


def seed(out) -> None:
    admin = User.objects.filter(groups__name=Role.ADMIN).order_by("pk").first()
    if admin is None:
        return
    items = _library(admin)
    patient = (
        Patient.objects.filter(email=PORTAL_PATIENT_EMAIL, user__isnull=False)
        .select_related("user", "primary_therapist")
        .first()
    )
    if patient is None or patient.primary_therapist is None or Assignment.objects.filter(patient=patient).exists():
        out.write(f"Education library: {len(items)} items")
        return
    therapist = patient.primary_therapist
    reading = assignment_create(
        actor=therapist,
        patient=patient,
        item=items["Healing Back Pain, chapters 1–3"],
        note="Start here. We will talk about what you recognise at our next session.",
    )
    assignment_mark_done(actor=patient.user, assignment=reading)
    prompt = assignment_create(
        actor=therapist, patient=patient, item=items["What was happening in your life when the pain began?"]
    )
    prompt_entry_write(
        actor=patient.user,
        assignment=prompt,
        text="The back pain started the spring my father was ill and I took on the new role at work. "
        "I kept telling everyone I was fine.",
    )
    assignment_create(
        actor=therapist, patient=patient, item=items["Recorded lecture: emotions, the nervous system and pain"]
    )
    out.write(f"Education library: {len(items)} items; 3 shared with the portal patient")
