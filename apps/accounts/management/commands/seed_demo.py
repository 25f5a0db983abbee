"""Load the demo clinic. Safe to run again: every step is keyed on natural keys, and a run on a clinic seeded some
time ago brings its history up to the clock (the sessions ended since held, charged and written up)."""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# Order matters: later apps build on earlier ones' rows.
DEMO_MODULES = [
    "apps.accounts.demo",
    "apps.scheduling.demo",
    "apps.patients.demo",
    "apps.billing.demo",
    "apps.scheduling.demo_appointments",
    "apps.billing.demo_packages",
    "apps.programs.demo",
    "apps.notes.demo",
    "apps.notes.demo_bodywork",
    "apps.billing.demo_payments",
    "apps.messaging.demo",
    "apps.intake.demo",
    "apps.ladder.demo",
    "apps.education.demo",
    "apps.referrals.demo",
    "apps.waitlist.demo",
    "apps.scheduling.demo_under_way",
]


class Command(BaseCommand):
    help = "Create or refresh the demo clinic (idempotent)."

    def handle(self, *args, **options):
        # The demo's accounts have published passwords and authenticator keys: never on a real clinic's database by
        # mistake. Development (DEBUG) seeds it; under production settings only a demo that says so (compose).
        if not (settings.DEBUG or settings.CLINIC_DEMO):
            raise CommandError(
                "seed_demo creates accounts whose passwords are published; it runs under production settings only "
                "for a demo that sets CLINIC_DEMO=1."
            )
        with transaction.atomic():
            for module in DEMO_MODULES:
                import_module(module).seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo clinic ready."))
