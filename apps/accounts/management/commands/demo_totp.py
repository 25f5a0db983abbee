"""Print the current two-factor code of the demo staff accounts (demo data only)."""

from django.core.management.base import BaseCommand
from django_otp.oath import totp

from apps.accounts.demo import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current TOTP code for the demo staff accounts."

    def handle(self, *args, **options):
        self.stdout.write(f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}")
