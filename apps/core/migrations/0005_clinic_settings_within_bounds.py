"""The clinic's hold, lead-time and waiting settings keep within bounds, in the form and in the database. A row
saved before is first brought within them (a hold of 0 hours becomes 1, one of years two weeks)."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_require_medical_clearance'),
    ]

    operations = [
        migrations.RunSQL(
            """
            UPDATE core_clinicsettings SET
                cancellation_window_hours = LEAST(cancellation_window_hours, 336),
                reminder_email_lead_hours = LEAST(GREATEST(reminder_email_lead_hours, 1), 336),
                reminder_sms_lead_hours = LEAST(GREATEST(reminder_sms_lead_hours, 1), 336),
                seat_offer_hold_hours = LEAST(GREATEST(seat_offer_hold_hours, 1), 336),
                self_booking_min_notice_hours = LEAST(self_booking_min_notice_hours, 336),
                self_booking_horizon_weeks = LEAST(GREATEST(self_booking_horizon_weeks, 1), 52),
                stranded_after_days = LEAST(GREATEST(stranded_after_days, 1), 365)
            """,
            migrations.RunSQL.noop,
        ),
        migrations.AlterField(
            model_name='clinicsettings',
            name='cancellation_window_hours',
            field=models.PositiveIntegerField(default=24, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(336)]),
        ),
        migrations.AlterField(
            model_name='clinicsettings',
            name='reminder_email_lead_hours',
            field=models.PositiveIntegerField(default=48, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(336)]),
        ),
        migrations.AlterField(
            model_name='clinicsettings',
            name='reminder_sms_lead_hours',
            field=models.PositiveIntegerField(default=2, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(336)]),
        ),
        migrations.AlterField(
            model_name='clinicsettings',
            name='seat_offer_hold_hours',
            field=models.PositiveIntegerField(default=48, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(336)]),
        ),
        migrations.AlterField(
            model_name='clinicsettings',
            name='self_booking_min_notice_hours',
            field=models.PositiveIntegerField(default=24, help_text='Patients cannot book or move a session into a slot starting sooner than this.', validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(336)], verbose_name='Online booking: least notice (hours)'),
        ),
        migrations.AddConstraint(
            model_name='clinicsettings',
            constraint=models.CheckConstraint(condition=models.Q(('cancellation_window_hours__gte', 0), ('cancellation_window_hours__lte', 336)), name='clinic_cancellation_window_hours_in_bounds'),
        ),
        migrations.AddConstraint(
            model_name='clinicsettings',
            constraint=models.CheckConstraint(condition=models.Q(('reminder_email_lead_hours__gte', 1), ('reminder_email_lead_hours__lte', 336)), name='clinic_reminder_email_lead_hours_in_bounds'),
        ),
        migrations.AddConstraint(
            model_name='clinicsettings',
            constraint=models.CheckConstraint(condition=models.Q(('reminder_sms_lead_hours__gte', 1), ('reminder_sms_lead_hours__lte', 336)), name='clinic_reminder_sms_lead_hours_in_bounds'),
        ),
        migrations.AddConstraint(
            model_name='clinicsettings',
            constraint=models.CheckConstraint(condition=models.Q(('seat_offer_hold_hours__gte', 1), ('seat_offer_hold_hours__lte', 336)), name='clinic_seat_offer_hold_hours_in_bounds'),
        ),
        migrations.AddConstraint(
            model_name='clinicsettings',
            constraint=models.CheckConstraint(condition=models.Q(('self_booking_min_notice_hours__gte', 0), ('self_booking_min_notice_hours__lte', 336)), name='clinic_self_booking_min_notice_hours_in_bounds'),
        ),
        migrations.AddConstraint(
            model_name='clinicsettings',
            constraint=models.CheckConstraint(condition=models.Q(('self_booking_horizon_weeks__gte', 1), ('self_booking_horizon_weeks__lte', 52)), name='clinic_self_booking_horizon_weeks_in_bounds'),
        ),
        migrations.AddConstraint(
            model_name='clinicsettings',
            constraint=models.CheckConstraint(condition=models.Q(('stranded_after_days__gte', 1), ('stranded_after_days__lte', 365)), name='clinic_stranded_after_days_in_bounds'),
        ),
    ]
