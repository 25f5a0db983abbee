"""Ship the bodywork note template for the clinic's massage therapists, as a row like the others."""

from django.db import migrations

AREAS = [
    ["head_face_jaw", "Head, face and jaw"],
    ["neck_shoulders", "Neck and shoulders"],
    ["upper_back", "Upper back"],
    ["lower_back", "Lower back"],
    ["arms_hands", "Arms and hands"],
    ["hips_glutes", "Hips and glutes"],
    ["legs_feet", "Legs and feet"],
    ["abdomen", "Abdomen"],
]
PRESSURE = [["light", "Light"], ["medium", "Medium"], ["firm", "Firm"], ["deep", "Deep"]]
TECHNIQUES = [
    ["swedish", "Swedish / relaxation"],
    ["myofascial", "Myofascial release"],
    ["trigger_point", "Trigger point"],
    ["stretching", "Assisted stretching"],
    ["craniosacral", "Craniosacral"],
    ["other", "Other"],
]

BODYWORK_FIELDS = [
    {"key": "areas_treated", "label": "Areas treated", "type": "multichoice", "choices": AREAS, "required": True,
     "section": "Session"},
    {"key": "areas_notes", "label": "Areas: notes", "type": "text"},
    {"key": "pressure", "label": "Pressure", "type": "choice", "choices": PRESSURE, "required": True},
    {"key": "techniques", "label": "Techniques", "type": "multichoice", "choices": TECHNIQUES, "required": True},
    {"key": "techniques_other", "label": "Other techniques", "type": "text",
     "required_when": {"field": "techniques", "in": ["other"]}},
    {"key": "client_response", "label": "Client response", "type": "longtext", "required": True,
     "help": "How the client felt during and after: relaxation, tenderness, anything reported."},
    {"key": "contraindications_checked", "label": "Contraindications checked before the session",
     "type": "boolean", "required": True, "section": "Safety",
     "help": "Fever, skin conditions, recent injury or surgery, clots, pregnancy, medication changes."},
    {"key": "contraindications_notes", "label": "Contraindications: findings and adjustments", "type": "longtext"},
    {"key": "plan", "label": "Plan", "type": "longtext", "required": True, "section": "Plan",
     "help": "Focus and pressure for the next session of the program."},
]

TEMPLATES = [
    ("Bodywork session note", "progress", "bodywork",
     "Massage or bodywork session: areas, pressure and techniques, response, safety check, plan.", BODYWORK_FIELDS),
]


def seed(apps, schema_editor):
    NoteTemplate = apps.get_model("notes", "NoteTemplate")
    for name, kind, discipline, description, fields in TEMPLATES:
        NoteTemplate.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "discipline": discipline,
                "description": description,
                "fields": fields,
                "is_active": True,
            },
        )


def unseed(apps, schema_editor):
    NoteTemplate = apps.get_model("notes", "NoteTemplate")
    NoteTemplate.objects.filter(name__in=[t[0] for t in TEMPLATES], notes__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("notes", "0007_note_template_discipline")]
    operations = [migrations.RunPython(seed, unseed)]
