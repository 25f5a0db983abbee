"""Good Faith Estimates for new bookings are now billing's reaction to the booked transition. The bookings already
made were estimated by the booking itself, so their transitions count as handled by the new reaction; otherwise the
transitions sweep would estimate the last few days' bookings a second time."""

from django.conf import settings
from django.db import migrations

REACTION = "billing.estimate_on_booking"


def mark_handled(apps, schema_editor):
    hours = getattr(settings, "CLINIC_TRANSITION_SWEEP_WINDOW_HOURS", 72)
    schema_editor.execute(
        """
        INSERT INTO core_transitionhandled (transition_type, transition_id, reaction, handled_at)
        SELECT 'scheduling.appointmenttransition', id, %s, now()
          FROM scheduling_appointmenttransition
         WHERE to_status = 'booked' AND at >= now() - make_interval(hours => %s)
        ON CONFLICT DO NOTHING
        """,
        [REACTION, hours],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0011_statement_issued_by"),
        ("core", "0002_clinic_settings_in_core"),
        ("scheduling", "0006_transition_sweep_index"),
    ]

    operations = [migrations.RunPython(mark_handled, migrations.RunPython.noop)]
