from django.db import migrations, models


def called_off_at_backfill(apps, schema_editor):
    """Programs called off before the moment was kept: the last save of their row, which the call-off made unless
    the program was edited afterwards."""
    GroupProgram = apps.get_model("programs", "GroupProgram")
    GroupProgram.objects.filter(stage="not_launched", called_off_at__isnull=True).update(
        called_off_at=models.F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0011_lecture_payment_recorded_once_per_submission"),
    ]

    operations = [
        migrations.AddField(
            model_name="groupprogram",
            name="called_off_at",
            field=models.DateTimeField(blank=True, help_text="When a proposal was called off.", null=True),
        ),
        migrations.RunPython(called_off_at_backfill, migrations.RunPython.noop),
    ]
