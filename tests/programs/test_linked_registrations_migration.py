"""The migration that marks which registrations of a registrant already linked to a chart were the chart's: those
made by the time of the link, not those made with the address on the public page afterwards.

Migrations run as the owner role, so this module connects as the owner. The test steps the schema back inside its
own transaction; rolling it back at the end puts the schema back as it was."""

import datetime as dt

import pytest

from apps.core import clock
from apps.programs.models import Enrollment
from tests.migrating import migrate_to

from .test_public_lectures import lecture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_as_owner")]

BEFORE = ("programs", "0012_program_called_off_at")
AFTER = ("programs", "0013_registration_linked_to_chart")


def test_only_the_registrations_made_by_the_time_of_the_link_are_taken_onto_the_chart(personas):
    earlier, later, unlinked = lecture(), lecture(), lecture()
    old = migrate_to(BEFORE).loader.project_state(BEFORE).apps
    registrant_model = old.get_model("programs", "PublicRegistrant")
    enrollment_model = old.get_model("programs", "Enrollment")
    now = clock.now()
    casey = registrant_model.objects.create(name="Casey", email="casey@example.test", patient_id=personas.patient.pk)
    robin = registrant_model.objects.create(name="Robin", email="robin@example.test")

    def registration(program, registrant, made):
        row = enrollment_model.objects.create(
            program_id=program.pk, registrant_id=registrant.pk, status="enrolled", emails_consented_at=made
        )
        enrollment_model.objects.filter(pk=row.pk).update(created_at=made)
        return row.pk

    before = registration(earlier, casey, now - dt.timedelta(days=3))
    after = registration(later, casey, now + dt.timedelta(hours=1))
    public = registration(unlinked, robin, now - dt.timedelta(days=3))
    registrant_model.objects.filter(pk=casey.pk).update(updated_at=now)  # the link, made when the chart was opened

    migrate_to(AFTER)
    linked = dict(Enrollment.objects.filter(pk__in=[before, after, public]).values_list("pk", "linked_to_chart"))
    assert linked == {before: True, after: False, public: False}
