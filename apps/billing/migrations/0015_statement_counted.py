from django.db import migrations, models

CHOICES = [("posted", "Posted in the period"), ("session_date", "Sessions in the period")]


class Migration(migrations.Migration):
    """Statements already issued counted charges by session date and keep reading so (the column is added with that
    default, filling them without an update their lock would refuse); every later one counts what was posted."""

    dependencies = [
        ("billing", "0014_charge_patient_posted_at_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="statement",
            name="counted",
            field=models.CharField(choices=CHOICES, db_default="session_date", max_length=12),
        ),
        migrations.AlterField(
            model_name="statement",
            name="counted",
            field=models.CharField(choices=CHOICES, db_default="posted", max_length=12),
        ),
    ]
