"""The clinic's settings row now belongs to core (core 0002 renamed its table); accounts forgets the model."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_intake_packet_on_series_setting'),
        ('core', '0002_clinic_settings_in_core'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ClinicSettings')],
        ),
    ]
