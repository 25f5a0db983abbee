"""A freed weekly time keeps the office it is at, so its offer can say where the sessions are and taking it books
there. Times freed before are given their series' office (the one its sessions were booked at); a time with no series
its room's office, else the office its therapist's working hours put that weekday and hour at, else the main office."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

BACKFILL = """
UPDATE programs_freedslot s
   SET location_id = COALESCE(
       (SELECT series.location_id FROM scheduling_appointmentseries series WHERE series.id = s.series_id),
       (SELECT room.location_id FROM scheduling_room room WHERE room.id = s.room_id),
       (SELECT h.location_id FROM scheduling_workinghours h
         WHERE h.therapist_id = s.therapist_id AND h.weekday = s.weekday
           AND h.start_time <= s.local_start_time AND s.local_start_time < h.end_time
         ORDER BY h.id LIMIT 1),
       (SELECT main.id FROM scheduling_location main WHERE main.is_main)
   )
 WHERE s.location_id IS NULL
"""


def offices_backfill(apps, schema_editor):
    FreedSlot = apps.get_model("waitlist", "FreedSlot")
    Location = apps.get_model("scheduling", "Location")
    if not FreedSlot.objects.exists():
        return
    if not Location.objects.filter(is_main=True).exists():
        # As Location.main() makes it the first time a clinic needs one.
        Location.objects.create(name="Main office", time_zone=settings.TIME_ZONE, is_main=True)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BACKFILL)
        # The new key is checked at commit; the column is made NOT NULL below, in this transaction.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0017_time_off_keeps_its_clock"),
        ("waitlist", "0003_slot_offer_withdrawn_when_its_time_is_booked"),
    ]

    operations = [
        migrations.AddField(
            model_name="freedslot",
            name="location",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="scheduling.location",
            ),
        ),
        migrations.RunPython(offices_backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="freedslot",
            name="location",
            field=models.ForeignKey(
                help_text="The office the time is kept at, as its series was: where the sessions are, and whose "
                "clock times them (a video time's too).",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="scheduling.location",
            ),
        ),
    ]
