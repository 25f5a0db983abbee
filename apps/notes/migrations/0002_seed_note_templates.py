"""Ship the clinic's two note templates as rows: edit or add templates as data, not code."""

from django.db import migrations

SYMPTOM_LOCATIONS = [
    ["back", "Back"],
    ["neck_shoulders", "Neck and shoulders"],
    ["head", "Head (headache, migraine, jaw)"],
    ["gut", "Gut (reflux, IBS, pelvic)"],
    ["vestibular", "Vestibular (dizziness, tinnitus)"],
    ["limbs", "Arms, hands, legs or feet"],
    ["skin", "Skin"],
    ["fatigue", "Fatigue"],
    ["other", "Other"],
]
EMOTIONAL_THEMES = [
    ["anger_rage", "Anger / rage"],
    ["grief", "Grief"],
    ["fear_anxiety", "Fear / anxiety"],
    ["shame", "Shame"],
    ["guilt", "Guilt"],
]
PERSONALITY_PRESSURES = [
    ["perfectionism", "Perfectionism"],
    ["goodism", "\"Goodism\" / need to please"],
    ["self_criticism", "Self-criticism"],
]
SI_SCREEN = [["none", "None"], ["passive", "Passive"], ["active", "Active"]]
RISK_PLAN = {
    "key": "risk_plan",
    "label": "Risk assessment and safety plan",
    "type": "longtext",
    "required_when": {"field": "suicidal_ideation", "in": ["passive", "active"]},
    "help": "Required when ideation is passive or active: intent, plan, means, protective factors, safety plan.",
}

PROGRESS_FIELDS = [
    {"key": "presenting_symptoms", "label": "Presenting symptoms", "type": "longtext", "required": True,
     "section": "Symptoms"},
    {"key": "symptom_locations", "label": "Symptom locations", "type": "multichoice", "choices": SYMPTOM_LOCATIONS,
     "required": True},
    {"key": "pain_now", "label": "Pain intensity now (0-10)", "type": "scale", "required": True},
    {"key": "pain_worst", "label": "Pain intensity at worst this week (0-10)", "type": "scale", "required": True},
    {"key": "change_since_last", "label": "Change since last session", "type": "choice", "required": True,
     "choices": [["much_better", "Much better"], ["better", "Better"], ["same", "No change"],
                 ["worse", "Worse"], ["much_worse", "Much worse"]]},
    {"key": "symptom_shifts", "label": "Symptom shifts (symptom imperative)", "type": "longtext",
     "help": "Pain moving location or changing form since the last session."},
    {"key": "emotional_themes", "label": "Emotional themes", "type": "multichoice", "choices": EMOTIONAL_THEMES,
     "section": "Psychodynamics"},
    {"key": "emotional_themes_notes", "label": "Emotional themes: notes", "type": "longtext"},
    {"key": "personality_pressures", "label": "Personality pressures", "type": "multichoice",
     "choices": PERSONALITY_PRESSURES},
    {"key": "current_stressors", "label": "Current stressors", "type": "longtext"},
    {"key": "defenses_relational_patterns", "label": "Defenses and relational patterns", "type": "longtext"},
    {"key": "transference", "label": "Transference / countertransference", "type": "longtext"},
    {"key": "interventions", "label": "Interventions", "type": "multichoice", "required": True,
     "section": "Session",
     "choices": [["interpretation", "Interpretation"], ["tms_education", "TMS education"],
                 ["journaling_assignment", "Journaling assignment"], ["other", "Other"]]},
    {"key": "interventions_other", "label": "Other interventions", "type": "text",
     "required_when": {"field": "interventions", "in": ["other"]}},
    {"key": "patient_response", "label": "Patient's response and insight", "type": "longtext", "required": True},
    {"key": "plan_homework", "label": "Plan and homework", "type": "longtext", "required": True},
    {"key": "suicidal_ideation", "label": "Suicidal ideation screen", "type": "choice", "choices": SI_SCREEN,
     "required": True, "section": "Risk"},
    RISK_PLAN,
]

INTAKE_FIELDS = [
    {"key": "reason_for_referral", "label": "Reason for referral", "type": "longtext", "required": True,
     "section": "Presentation"},
    {"key": "presenting_symptoms", "label": "Presenting symptoms", "type": "longtext", "required": True},
    {"key": "symptom_locations", "label": "Symptom locations", "type": "multichoice", "choices": SYMPTOM_LOCATIONS,
     "required": True},
    {"key": "symptom_history", "label": "Onset and course of symptoms", "type": "longtext", "required": True},
    {"key": "pain_now", "label": "Pain intensity now (0-10)", "type": "scale", "required": True},
    {"key": "pain_worst", "label": "Pain intensity at worst this week (0-10)", "type": "scale", "required": True},
    {"key": "medical_evaluation", "label": "Medical evaluation to date", "type": "longtext", "required": True,
     "help": "Work-up, imaging and physician clearance ruling out structural disease."},
    {"key": "structural_cause_ruled_out", "label": "Structural cause ruled out by a physician", "type": "boolean",
     "required": True},
    {"key": "psychosocial_history", "label": "Psychosocial and family history", "type": "longtext",
     "required": True, "section": "History"},
    {"key": "childhood_experiences", "label": "Childhood experiences and attachment", "type": "longtext"},
    {"key": "current_stressors", "label": "Current stressors", "type": "longtext"},
    {"key": "emotional_themes", "label": "Emotional themes", "type": "multichoice", "choices": EMOTIONAL_THEMES},
    {"key": "personality_pressures", "label": "Personality pressures", "type": "multichoice",
     "choices": PERSONALITY_PRESSURES},
    {"key": "substance_use", "label": "Substance use", "type": "longtext"},
    {"key": "mental_status", "label": "Mental status examination", "type": "longtext", "required": True,
     "section": "Assessment"},
    {"key": "suicidal_ideation", "label": "Suicidal ideation screen", "type": "choice", "choices": SI_SCREEN,
     "required": True},
    RISK_PLAN,
    {"key": "diagnosis", "label": "Diagnosis (ICD-10)", "type": "text", "required": True,
     "help": "e.g. F45.41 Pain disorder exclusively related to psychological factors"},
    {"key": "recommended_care", "label": "Recommended level of care", "type": "choice", "required": True,
     "section": "Plan",
     "choices": [["knowledge_therapy", "Knowledge therapy (reading, lectures, journaling)"],
                 ["group_program", "Group program"], ["individual_therapy", "Individual psychotherapy"]]},
    {"key": "treatment_plan", "label": "Treatment plan and goals", "type": "longtext", "required": True},
]

TEMPLATES = [
    ("Psychodynamic TMS progress note", "progress",
     "Weekly psychodynamic session for Tension Myositis Syndrome.", PROGRESS_FIELDS),
    ("Intake assessment", "intake", "First assessment before starting treatment.", INTAKE_FIELDS),
]


def seed(apps, schema_editor):
    NoteTemplate = apps.get_model("notes", "NoteTemplate")
    for name, kind, description, fields in TEMPLATES:
        NoteTemplate.objects.update_or_create(
            name=name, defaults={"kind": kind, "description": description, "fields": fields, "is_active": True}
        )


def unseed(apps, schema_editor):
    NoteTemplate = apps.get_model("notes", "NoteTemplate")
    NoteTemplate.objects.filter(name__in=[t[0] for t in TEMPLATES], notes__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("notes", "0001_session_notes_addenda_process_notes")]
    operations = [migrations.RunPython(seed, unseed)]
