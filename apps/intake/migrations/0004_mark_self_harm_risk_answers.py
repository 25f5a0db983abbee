"""Mark the shipped questionnaire's "thoughts of harming yourself" answers "sometimes" and "often" as risk answers.

Only where the clinic's current questionnaire still asks that question (key `emergency_plan`, a choice) and has not
marked risk answers of its own; only the answers it still offers are marked. A clinic that removed or renamed the
question is left as it is."""

from django.db import migrations

QUESTION = "emergency_plan"
RISK_ANSWERS = ["sometimes", "often"]


def mark(apps, schema_editor):
    IntakeDocument = apps.get_model("intake", "IntakeDocument")
    for document in IntakeDocument.objects.filter(kind="questionnaire", current_version__isnull=False):
        if document.risk_answers:
            continue
        field = next((f for f in document.current_version.fields if f.get("key") == QUESTION), None)
        if field is None or field.get("type") != "choice":
            continue
        offered = {value for value, _label in field.get("choices") or []}
        answers = [answer for answer in RISK_ANSWERS if answer in offered]
        if answers:
            document.risk_answers = {QUESTION: answers}
            document.save(update_fields=["risk_answers"])


class Migration(migrations.Migration):
    dependencies = [("intake", "0003_risk_answers_flagged_for_review")]
    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
