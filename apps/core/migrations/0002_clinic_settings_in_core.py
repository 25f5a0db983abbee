"""The clinic's settings row moves from accounts to core: the table is renamed, its rows and content type kept."""

import datetime
import django.core.validators
from django.db import migrations, models


def _move_content_type(apps, from_app: str, to_app: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    moving = ContentType.objects.filter(app_label=from_app, model="clinicsettings")
    if ContentType.objects.filter(app_label=to_app, model="clinicsettings").exists():
        moving.delete()  # a migrate in between already made the other one: keep that, drop this stale one
    else:
        moving.update(app_label=to_app)


def content_type_to_core(apps, schema_editor):
    _move_content_type(apps, "accounts", "core")


def content_type_to_accounts(apps, schema_editor):
    _move_content_type(apps, "core", "accounts")


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0001_transition_handled'),
        ('accounts', '0009_intake_packet_on_series_setting'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE accounts_clinicsettings RENAME TO core_clinicsettings",
                    "ALTER TABLE core_clinicsettings RENAME TO accounts_clinicsettings",
                ),
                migrations.RunPython(content_type_to_core, content_type_to_accounts),
            ],
            state_operations=[
        migrations.CreateModel(
            name='ClinicSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('name', models.CharField(default='Mind-Body Clinic', max_length=200)),
                ('address', models.TextField(blank=True)),
                ('phone', models.CharField(blank=True, max_length=30)),
                ('email', models.EmailField(blank=True, max_length=254)),
                ('tax_id', models.CharField(blank=True, max_length=20)),
                ('npi', models.CharField(blank=True, max_length=10, verbose_name='Organisation NPI')),
                ('telehealth_patient_at_home', models.BooleanField(default=True, help_text='Superbills give telehealth sessions place of service 10 (patient at home); untick when patients join from elsewhere (place of service 02).')),
                ('cancellation_window_hours', models.PositiveIntegerField(default=24)),
                ('reminder_email_lead_hours', models.PositiveIntegerField(default=48)),
                ('reminder_sms_lead_hours', models.PositiveIntegerField(default=2)),
                ('seat_offer_hold_hours', models.PositiveIntegerField(default=48)),
                ('quiet_hours_start', models.TimeField(default=datetime.time(21, 0))),
                ('quiet_hours_end', models.TimeField(default=datetime.time(8, 0))),
                ('patient_messages_to_therapists', models.BooleanField(default=False, help_text="Off: patients' secure messages go to the front desk only. On: also to a treating therapist who accepts messages in their profile.", verbose_name='Patients may message their therapist')),
                ('records_release_session_notes', models.BooleanField(default=False, help_text='Off: the download lists sessions, billing, questionnaires and the journal, and patients ask the clinic for their notes. Process notes and unsigned drafts are never included.', verbose_name="Patients' record downloads include their signed session notes")),
                ('self_booking_enabled', models.BooleanField(default=True, help_text="The whole clinic's switch; each therapist also turns self-booking on for themselves.", verbose_name='Patients may book and move sessions online')),
                ('self_booking_min_notice_hours', models.PositiveIntegerField(default=24, help_text='Patients cannot book or move a session into a slot starting sooner than this.', verbose_name='Online booking: least notice (hours)')),
                ('self_booking_horizon_weeks', models.PositiveIntegerField(default=8, help_text='Patients see free slots up to this many weeks ahead.', validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(52)], verbose_name='Online booking: how far ahead (weeks)')),
                ('intake_packet_on_series', models.BooleanField(default=False, help_text='Booking a weekly series sends the patient the standard intake packet, unless they have signed it.', verbose_name='Send the intake packet when a series is booked')),
            ],
            options={
                'verbose_name': 'clinic settings',
                'verbose_name_plural': 'clinic settings',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='clinic_settings_single_row')],
            },
        ),
            ],
        ),
    ]
