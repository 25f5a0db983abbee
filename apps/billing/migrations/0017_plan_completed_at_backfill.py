"""Plans completed before `completed_at` was kept take the time of their last change, which for a completed plan is
its completion (nothing changes a plan once completed), so undoing money posted before then reopens them too.
Touches only completed plans without the time: running it again changes nothing."""

from django.db import migrations
from django.db.models import F


def completed_at_backfill(apps, schema_editor):
    PaymentPlan = apps.get_model("billing", "PaymentPlan")
    PaymentPlan.objects.filter(status="completed", completed_at__isnull=True).update(completed_at=F("updated_at"))


class Migration(migrations.Migration):
    dependencies = [("billing", "0016_plan_completed_at")]

    operations = [migrations.RunPython(completed_at_backfill, migrations.RunPython.noop)]
