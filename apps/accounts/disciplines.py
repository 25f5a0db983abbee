"""The kinds of care a provider gives. A provider's discipline decides which services they may be booked for and
which clinical content they may read: bodywork providers never read psychotherapy content."""

from django.db import models


class Discipline(models.TextChoices):
    PSYCHOTHERAPY = "psychotherapy", "Psychotherapy"
    BODYWORK = "bodywork", "Massage and bodywork"


def discipline_of(user) -> str:
    """The user's discipline; a therapist without a profile row is a psychotherapist (every therapist was, before
    disciplines existed)."""
    profile = getattr(user, "therapist_profile", None)
    return profile.discipline if profile is not None else Discipline.PSYCHOTHERAPY
