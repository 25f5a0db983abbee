"""The individual-slot waitlist moved to its own app (waitlist). Its tables stay where they are, under their names;
only Django's idea of which app owns the models changes, so no row is touched."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("programs", "0002_individual_slot_waitlist"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="SlotOffer"),
                migrations.DeleteModel(name="SlotRequest"),
                migrations.DeleteModel(name="FreedSlot"),
            ],
            database_operations=[],
        ),
    ]
