"""The individual-slot waitlist, moved here from programs. The tables keep their names and rows (the models name them
with db_table), so this only tells Django the models are now this app's. The content types and the outbox rows that
name these models follow them, so nothing written before the move points at a model that no longer exists."""

import django.contrib.postgres.fields
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ["slotrequest", "freedslot", "slotoffer"]


def _move(apps, *, source: str, target: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Message = apps.get_model("notifications", "Message")
    ContentType.objects.filter(app_label=source, model__in=MOVED).update(app_label=target)
    for model in MOVED:
        Message.objects.filter(subject_type=f"{source}.{model}").update(subject_type=f"{target}.{model}")


def models_follow_to_waitlist(apps, schema_editor):
    _move(apps, source="programs", target="waitlist")


def models_follow_back_to_programs(apps, schema_editor):
    _move(apps, source="waitlist", target="programs")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('notifications', '0002_outbox_claims_and_confirmations'),
        ('patients', '0002_birth_dates_from_1900'),
        ('programs', '0003_slot_waitlist_moves_to_waitlist_app'),
        ('scheduling', '0004_working_hours_no_overlap'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='FreedSlot',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('weekday', models.PositiveSmallIntegerField(choices=[(0, 'Monday'), (1, 'Tuesday'), (2, 'Wednesday'), (3, 'Thursday'), (4, 'Friday'), (5, 'Saturday'), (6, 'Sunday')])),
                        ('local_start_time', models.TimeField()),
                        ('duration_minutes', models.PositiveIntegerField()),
                        ('is_telehealth', models.BooleanField(default=False)),
                        ('free_from', models.DateField(help_text='The first date the time is free.')),
                        ('status', models.CharField(choices=[('open', 'Open'), ('taken', 'Taken')], default='open', max_length=10)),
                        ('room', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scheduling.room')),
                        ('series', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='freed_slot', to='scheduling.appointmentseries')),
                        ('therapist', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'programs_freedslot',
                        'ordering': ['free_from', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='SlotRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('weekdays', django.contrib.postgres.fields.ArrayField(base_field=models.PositiveSmallIntegerField(), help_text='Preferred weekdays, 0 = Monday.', size=None)),
                        ('earliest_start', models.TimeField()),
                        ('latest_start', models.TimeField()),
                        ('status', models.CharField(choices=[('waiting', 'Waiting'), ('offered', 'Slot offered'), ('booked', 'Booked'), ('expired', 'Offer expired'), ('cancelled', 'Cancelled')], default='waiting', max_length=20)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('patient', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='slot_requests', to='patients.patient')),
                        ('service_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scheduling.servicetype')),
                        ('therapist', models.ForeignKey(blank=True, help_text='Empty: any therapist.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'programs_slotrequest',
                        'ordering': ['created_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='SlotOffer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('status', models.CharField(choices=[('outstanding', 'Waiting for an answer'), ('accepted', 'Accepted'), ('declined', 'Declined'), ('expired', 'Expired')], default='outstanding', max_length=20)),
                        ('expires_at', models.DateTimeField()),
                        ('answered_at', models.DateTimeField(blank=True, null=True)),
                        ('series', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='scheduling.appointmentseries')),
                        ('slot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offers', to='waitlist.freedslot')),
                        ('request', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offers', to='waitlist.slotrequest')),
                    ],
                    options={
                        'db_table': 'programs_slotoffer',
                        'ordering': ['-created_at'],
                    },
                ),
                migrations.AddIndex(
                    model_name='slotrequest',
                    index=models.Index(fields=['status', 'created_at'], name='programs_sl_status_58d184_idx'),
                ),
                migrations.AddConstraint(
                    model_name='slotrequest',
                    constraint=models.CheckConstraint(condition=models.Q(('earliest_start__lte', models.F('latest_start'))), name='slot_times_ordered'),
                ),
                migrations.AddConstraint(
                    model_name='slotrequest',
                    constraint=models.CheckConstraint(condition=models.Q(('weekdays', []), _negated=True), name='slot_request_has_weekdays'),
                ),
                migrations.AddConstraint(
                    model_name='slotoffer',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'outstanding')), fields=('slot',), name='one_outstanding_offer_per_slot'),
                ),
                migrations.AddConstraint(
                    model_name='slotoffer',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'outstanding')), fields=('request',), name='one_outstanding_offer_per_request'),
                ),
                migrations.AddConstraint(
                    model_name='slotoffer',
                    constraint=models.UniqueConstraint(fields=('slot', 'request'), name='slot_offered_once_per_request'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(models_follow_to_waitlist, models_follow_back_to_programs),
    ]
