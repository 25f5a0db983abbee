"""Build the large benchmark clinic in an empty database (see bench/large_clinic/seed.py).

    python -m bench.seed_large --scale 1

A command of the benchmark, not of the application: run as a module, so the deployed apps never list it. The
models are imported when it runs, after Django is set up.
"""

import json
import os
import sys

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Load a large clinic with years of history for the benchmark (20 therapists, 10,000 patients at scale 1)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", type=float, default=1.0, help="1 = 20 therapists and 10,000 patients.")
        parser.add_argument("--weeks", type=int, default=260, help="Weeks of history before this week.")
        parser.add_argument(
            "--seed", type=int, default=20261121, help="Random seed; the same seed builds the same clinic."
        )
        parser.add_argument("--json", action="store_true", help="Print the counts and timings as JSON.")

    def handle(self, *args, scale, weeks, seed, json: bool = False, **options):
        from apps.patients.models import Patient

        from .large_clinic.seed import LargeClinic, Plan, is_seeded

        if scale <= 0 or weeks < 1:
            raise CommandError("--scale must be above 0 and --weeks at least 1.")
        if is_seeded():
            self.stdout.write("The large clinic is already loaded; reusing it.")
            return
        if Patient.objects.exists():
            raise CommandError("This database already holds another clinic; seed the large clinic into an empty one.")
        plan = Plan(scale=scale, weeks=weeks)
        self.stdout.write(f"Building the large clinic at scale {scale:g} ({weeks} weeks of history):")
        try:
            built = LargeClinic(plan, out=self.stdout, seed=seed).build()
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Large clinic ready in {built.timings['total']:.1f}s."))
        if json:
            self.stdout.write(_dumps({"counts": built.counts, "timings": built.timings}))


def _dumps(value) -> str:
    return json.dumps(value, sort_keys=True)


def main(argv: list[str] | None = None) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinic.settings.local")
    django.setup()
    Command().run_from_argv(["python -m bench.seed_large", "seed_large", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
