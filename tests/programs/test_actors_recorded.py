"""Changing a program records who changed it, and which fields, in the audit log."""

import pytest

from apps.audit.models import AccessLog
from apps.programs.services.setup import program_update

from .factories import scheduled_program

pytestmark = pytest.mark.django_db


def test_a_program_change_records_who_made_it_and_which_fields(personas):
    program = scheduled_program(actor=personas.front_desk)
    program_update(actor=personas.front_desk, program=program, charge_no_shows=True, description="Tuesdays")
    entry = AccessLog.objects.get(action="program_update")
    assert (entry.actor, entry.subject_type, entry.subject_id) == (
        personas.front_desk,
        "programs.groupprogram",
        str(program.pk),
    )
    assert entry.detail == {"fields": ["charge_no_shows", "description"], "co_facilitators": False}
