"""Templates are rows, and note content is checked against them field by field."""

import pytest
from django.core.exceptions import ValidationError

from apps.core.errors import Unprocessable
from apps.notes.content import TemplateDefinitionError, content_clean, template_fields_check
from apps.notes.models import NoteTemplate
from apps.notes.services import note_create

from .conftest import complete_progress_content

pytestmark = pytest.mark.django_db

DESIGN_PROGRESS_FIELDS = {
    "presenting_symptoms",
    "symptom_locations",
    "pain_now",
    "pain_worst",
    "change_since_last",
    "symptom_shifts",
    "emotional_themes",
    "personality_pressures",
    "current_stressors",
    "defenses_relational_patterns",
    "transference",
    "interventions",
    "patient_response",
    "plan_homework",
    "suicidal_ideation",
    "risk_plan",
}


def _errors(template, content, *, complete):
    with pytest.raises(Unprocessable) as caught:
        content_clean(fields=template.fields, content=content, complete=complete)
    return caught.value.fields


def test_both_templates_ship_as_rows_with_every_designed_field(progress_template, intake_template):
    assert progress_template.kind == "progress" and intake_template.kind == "intake"
    assert {field["key"] for field in progress_template.fields} >= DESIGN_PROGRESS_FIELDS
    fields = {field["key"]: field for field in progress_template.fields}
    assert {c[0] for c in fields["emotional_themes"]["choices"]} == {
        "anger_rage",
        "grief",
        "fear_anxiety",
        "shame",
        "guilt",
    }
    assert {c[0] for c in fields["personality_pressures"]["choices"]} == {"perfectionism", "goodism", "self_criticism"}
    assert {c[0] for c in fields["interventions"]["choices"]} == {
        "interpretation",
        "tms_education",
        "journaling_assignment",
        "other",
    }
    assert [c[0] for c in fields["suicidal_ideation"]["choices"]] == ["none", "passive", "active"]
    assert fields["pain_now"]["type"] == fields["pain_worst"]["type"] == "scale"
    template_fields_check(progress_template.fields)
    template_fields_check(intake_template.fields)


def test_a_complete_note_passes_and_is_normalised(progress_template):
    content = complete_progress_content(emotional_themes=["guilt", "anger_rage", "guilt"], plan_homework="  Journal.  ")
    cleaned = content_clean(fields=progress_template.fields, content=content, complete=True)
    assert cleaned["emotional_themes"] == ["anger_rage", "guilt"]
    assert cleaned["plan_homework"] == "Journal."


def test_signing_requires_every_required_field_with_a_message_each(progress_template):
    errors = _errors(progress_template, {"pain_now": 3}, complete=True)
    assert errors["presenting_symptoms"] == ["This field is required before signing."]
    assert "plan_homework" in errors and "suicidal_ideation" in errors
    assert "pain_now" not in errors and "symptom_shifts" not in errors


def test_a_draft_may_be_incomplete_but_not_wrong(progress_template):
    assert content_clean(fields=progress_template.fields, content={"pain_now": 3}, complete=False) == {"pain_now": 3}
    errors = _errors(progress_template, {"pain_now": 11, "pain_worst": -1}, complete=False)
    assert errors == {
        "pain_now": ["Enter a whole number from 0 to 10."],
        "pain_worst": ["Enter a whole number from 0 to 10."],
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pain_now", "7", "Enter a whole number from 0 to 10."),
        ("pain_now", 6.5, "Enter a whole number from 0 to 10."),
        ("pain_now", True, "Enter a whole number from 0 to 10."),
        ("change_since_last", "fabulous", "Select one of the listed options."),
        ("emotional_themes", ["joy"], "Select only listed options."),
        ("emotional_themes", "anger_rage", "Select only listed options."),
        ("presenting_symptoms", 12, "Enter text."),
        ("presenting_symptoms", "x" * 20001, "Keep this under 20000 characters."),
        ("no_such_field", "x", "This template has no such field."),
    ],
)
def test_types_ranges_and_choices_are_checked_per_field(progress_template, field, value, message):
    errors = _errors(progress_template, complete_progress_content(**{field: value}), complete=False)
    assert errors == {field: [message]}


def test_risk_plan_is_required_only_when_ideation_is_reported(progress_template):
    content_clean(fields=progress_template.fields, content=complete_progress_content(), complete=True)
    errors = _errors(progress_template, complete_progress_content(suicidal_ideation="passive"), complete=True)
    assert errors == {"risk_plan": ["This field is required before signing."]}


def test_other_interventions_need_describing(progress_template):
    errors = _errors(progress_template, complete_progress_content(interventions=["other"]), complete=True)
    assert errors == {"interventions_other": ["This field is required before signing."]}


def test_intake_template_validates_booleans(intake_template):
    errors = _errors(intake_template, {"structural_cause_ruled_out": "maybe"}, complete=False)
    assert errors == {"structural_cause_ruled_out": ["Choose yes or no."]}


@pytest.mark.parametrize(
    "fields",
    [
        [],
        [{"key": "Bad Key", "label": "x", "type": "text"}],
        [{"key": "a", "label": "A", "type": "colour"}],
        [{"key": "a", "label": "A", "type": "choice"}],
        [{"key": "a", "label": "A", "type": "text"}, {"key": "a", "label": "A again", "type": "text"}],
        [{"key": "a", "label": "A", "type": "text", "required_when": {"field": "later", "in": ["x"]}}],
    ],
)
def test_malformed_templates_are_refused(fields):
    with pytest.raises(TemplateDefinitionError):
        template_fields_check(fields)


def test_a_clinic_adds_a_template_as_data_and_notes_use_it(personas, past_session):
    template = NoteTemplate(
        name="Brief check-in",
        kind="progress",
        fields=[{"key": "pain_now", "label": "Pain now", "type": "scale", "required": True}],
    )
    template.full_clean()
    template.save()
    note = note_create(actor=personas.therapist, appointment=past_session, template=template, content={"pain_now": 2})
    assert note.pain_now == 2


def test_a_template_in_use_keeps_its_fields(personas, past_session, progress_template):
    note_create(actor=personas.therapist, appointment=past_session, template=progress_template, content={})
    progress_template.fields = [*progress_template.fields, {"key": "extra", "label": "Extra", "type": "text"}]
    with pytest.raises(ValidationError) as caught:
        progress_template.full_clean()
    assert "publish a new template" in str(caught.value)
