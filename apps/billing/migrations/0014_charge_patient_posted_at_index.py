from django.conf import settings
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built without blocking the ledger's writes while it is built.
    atomic = False

    dependencies = [
        ("billing", "0013_session_packages"),
        ("patients", "0004_patient_time_zone"),
        ("scheduling", "0013_booking_holds_the_patient_row"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="charge",
            index=models.Index(fields=["patient", "posted_at"], name="billing_cha_patient_0bb7bf_idx"),
        ),
    ]
