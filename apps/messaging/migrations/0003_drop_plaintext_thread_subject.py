import pgtrigger.compiler
import pgtrigger.migrations
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_encrypt_thread_subjects"),
    ]

    operations = [
        # Blank allowed first, so that going back re-adds the plaintext column empty for the previous migration's
        # reverse step to fill, instead of failing on the rows it already holds.
        migrations.AlterField(
            model_name="messagethread",
            name="subject",
            field=models.CharField(blank=True, max_length=150),
        ),
        migrations.RemoveField(
            model_name="messagethread",
            name="subject",
        ),
        migrations.AddConstraint(
            model_name="messagethread",
            constraint=models.CheckConstraint(
                condition=models.Q(("subject_encrypted", ""), _negated=True), name="message_thread_has_subject"
            ),
        ),
        pgtrigger.migrations.AddTrigger(
            model_name="messagethread",
            trigger=pgtrigger.compiler.Trigger(
                name="message_thread_subject_kept",
                sql=pgtrigger.compiler.UpsertTriggerSql(
                    func="\nIF (NEW.subject_encrypted IS DISTINCT FROM OLD.subject_encrypted AND NOT (coalesce(current_setting('clinic.reencrypting', true), '') = 'on' AND pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER'))) THEN\n    RAISE EXCEPTION 'the subject of message thread % cannot change', OLD.id USING ERRCODE = '23000';\nEND IF;\nRETURN NEW;\n",
                    hash="2d2efa7d8094e3ec9f00a1185e0ca0157065107a",
                    operation="UPDATE",
                    pgid="pgtrigger_message_thread_subject_kept_7bed3",
                    table="messaging_messagethread",
                    when="BEFORE",
                ),
            ),
        ),
    ]
