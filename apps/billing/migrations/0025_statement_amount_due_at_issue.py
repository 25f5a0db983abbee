"""Statements keep what they ask for as it was at issue: the balance at that moment and a payment plan's next
instalment. Statements already issued get the balance at their moment of issue, summed from the ledger (whose rows
never change) with their lock lifted for this one update; their plan instalment is not known after the fact and
stays empty."""

from django.db import migrations, models

STATEMENT_LOCK = "pgtrigger_ledger_rows_are_immutable_ccc5f"

BALANCE_AT_ISSUE_BACKFILL = f"""
ALTER TABLE billing_statement DISABLE TRIGGER {STATEMENT_LOCK};
UPDATE billing_statement s SET balance_at_issue =
      COALESCE((SELECT SUM(amount) FROM billing_charge c
                 WHERE c.patient_id = s.patient_id AND c.posted_at <= s.issued_at), 0)
    - COALESCE((SELECT SUM(amount) FROM billing_payment p
                 WHERE p.patient_id = s.patient_id AND p.received_at <= s.issued_at), 0)
    - COALESCE((SELECT SUM(amount) FROM billing_adjustment a
                 WHERE a.patient_id = s.patient_id AND a.posted_at <= s.issued_at), 0);
ALTER TABLE billing_statement ENABLE TRIGGER {STATEMENT_LOCK};
"""


class Migration(migrations.Migration):
    dependencies = [("billing", "0024_diagnoses_at_most_twelve")]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="balance_at_issue",
            field=models.DecimalField(decimal_places=2, max_digits=11, null=True),
        ),
        migrations.RunSQL(BALANCE_AT_ISSUE_BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="statement",
            name="balance_at_issue",
            field=models.DecimalField(decimal_places=2, max_digits=11),
        ),
        migrations.AddField(
            model_name="statement",
            name="instalment_due",
            field=models.DecimalField(blank=True, decimal_places=2, max_digits=9, null=True),
        ),
        migrations.AddField(
            model_name="statement",
            name="instalment_due_on",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name="statement",
            constraint=models.CheckConstraint(
                condition=models.Q(("instalment_due__isnull", True), ("instalment_due_on__isnull", True))
                | models.Q(("instalment_due__gt", 0), ("instalment_due_on__isnull", False)),
                name="statement_instalment_with_its_day",
            ),
        ),
    ]
