"""Ship the clinic's intake documents as rows, each at version 1: plain wording a clinic edits by publishing a new
version from the documents page."""

import hashlib

from django.db import migrations
from django.utils import timezone

QUESTIONNAIRE_BODY = """Please answer these questions before your first session. Your answers go to your therapist \
and are kept in your record. Skip anything you would rather talk about in person, unless it is marked required.

By typing your name below you confirm that your answers are, to the best of your knowledge, true and complete."""

QUESTIONNAIRE_FIELDS = [
    {"key": "reason", "label": "What brings you to the clinic?", "type": "longtext", "required": True,
     "section": "Your reasons for coming"},
    {"key": "symptoms", "label": "Where do you feel symptoms?", "type": "multichoice",
     "choices": [["back", "Back"], ["neck_shoulders", "Neck and shoulders"], ["head", "Head (headache, jaw)"],
                 ["gut", "Gut"], ["dizziness", "Dizziness or ringing in the ears"],
                 ["limbs", "Arms, hands, legs or feet"], ["other", "Somewhere else"]]},
    {"key": "symptom_years", "label": "How many years have you had these symptoms?", "type": "integer",
     "min": 0, "max": 90},
    {"key": "pain_now", "label": "Your pain today (0 = none, 10 = worst imaginable)", "type": "scale",
     "required": True},
    {"key": "medical_evaluation", "label": "Has a doctor examined you for these symptoms?", "type": "boolean",
     "required": True, "section": "Your health",
     "help": "We work alongside your doctor: structural causes should be ruled out first."},
    {"key": "medications", "label": "Medications you take", "type": "longtext"},
    {"key": "previous_therapy", "label": "Have you been in therapy before?", "type": "boolean"},
    {"key": "stressors", "label": "What is going on in your life right now (work, family, losses)?",
     "type": "longtext", "section": "Your life"},
    {"key": "emergency_plan", "label": "Do you have thoughts of harming yourself?", "type": "choice",
     "required": True,
     "choices": [["no", "No"], ["sometimes", "Sometimes"], ["often", "Often"]],
     "help": "If you are in danger now, call or text 988, or call 911."},
]

TREATMENT_CONSENT = """Informed consent to treatment

Psychotherapy at this clinic looks at how emotions and stress can drive physical symptoms. Sessions are usually \
weekly and last 45 or 60 minutes. Therapy can help, but there is no promise of a particular result, and talking \
about painful feelings can be uncomfortable for a while.

What we keep private: what you say in therapy stays between you and the clinic, except where the law requires us \
to act: a serious risk that you will harm yourself or someone else, suspected abuse of a child or a vulnerable \
adult, or a court order.

Your part: you may ask questions about your care at any time, and you may stop treatment whenever you choose. \
We recommend you keep seeing your doctor for your physical health.

By typing your name you confirm that you have read this, have had the chance to ask questions, and agree to \
receive treatment."""

TELEHEALTH_CONSENT = """Telehealth consent

Some sessions take place by secure video. Video sessions work like sessions in the office, with some differences:

- You join from a private place where you cannot be overheard, in the state where your therapist is licensed.
- If the connection drops, your therapist will call you on the phone number in your record.
- Video carries small risks to privacy despite the safeguards we use; we never record sessions.
- In an emergency during a video session, your therapist may call emergency services to your location, so please \
keep your address up to date.

By typing your name you agree to receive care by video when you and your therapist choose it."""

CANCELLATION_POLICY = """Cancellation and late-fee policy

Your session time is reserved for you. If you cannot come, please cancel in the portal, or call us, at least \
24 hours before the session.

A session cancelled later than that, or missed without notice, is charged the late-cancel fee. If you pay a \
reduced fee on our sliding scale, the late-cancel fee is reduced in the same way. We waive the fee for \
emergencies and sudden illness; just let us know.

By typing your name you confirm that you understand this policy."""

PRIVACY_NOTICE = """Notice of privacy practices

This notice describes how health information about you may be used and disclosed, and how you can get access \
to it.

We use your information to treat you, to be paid for your care, and to run the clinic. We do not sell it. We \
share it outside the clinic only with your written permission or where the law requires or permits it (for \
example, to prevent a serious threat to health or safety).

Your rights: you may see and get a copy of your record, ask us to correct it, ask us to limit what we share, \
ask for a list of those we shared it with, and choose how we contact you. You may complain to us or to the \
U.S. Department of Health and Human Services; we will not hold a complaint against you.

Psychotherapy process notes kept by your therapist are held apart from your record and receive extra protection.

By typing your name you confirm that you received this notice."""

RELEASE_OF_INFORMATION = """Release of information

If you would like us to talk with your doctor or another provider about your care, this form gives us your \
permission. Tell your therapist who the person is; they will record the name in your chart.

We share only what is needed for your care, never psychotherapy process notes. You may withdraw this \
permission at any time by telling us in writing; withdrawing does not undo what was already shared. This \
permission ends one year after you sign it.

By typing your name you allow the clinic to share information about your care with the provider you name to \
your therapist."""

DOCUMENTS = [
    # (kind, title, in the standard packet, body, fields)
    ("questionnaire", "Intake questionnaire", True, QUESTIONNAIRE_BODY, QUESTIONNAIRE_FIELDS),
    ("treatment_consent", "Consent to treatment", True, TREATMENT_CONSENT, []),
    ("telehealth_consent", "Telehealth consent", True, TELEHEALTH_CONSENT, []),
    ("cancellation_policy", "Cancellation and late-fee policy", True, CANCELLATION_POLICY, []),
    ("privacy_notice", "Notice of privacy practices", True, PRIVACY_NOTICE, []),
    ("release_of_information", "Release of information", False, RELEASE_OF_INFORMATION, []),
]


def seed(apps, schema_editor):
    IntakeDocument = apps.get_model("intake", "IntakeDocument")
    DocumentVersion = apps.get_model("intake", "DocumentVersion")
    now = timezone.now()
    for position, (kind, title, standard, body, fields) in enumerate(DOCUMENTS):
        document, created = IntakeDocument.objects.get_or_create(
            title=title, defaults={"kind": kind, "in_standard_packet": standard, "position": position}
        )
        if not created:
            continue
        version = DocumentVersion.objects.create(
            document=document,
            number=1,
            body=body,
            fields=fields,
            body_sha256=hashlib.sha256(body.encode("utf-8")).hexdigest(),
            published_at=now,
        )
        document.current_version = version
        document.save(update_fields=["current_version"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0001_intake_documents_packets_signatures")]
    # Versions cannot be deleted (they are what patients sign), so the rows stay when this is unapplied.
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
