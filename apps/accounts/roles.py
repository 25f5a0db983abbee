"""Roles are Django groups; these are their names."""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    THERAPIST = "therapist", "Therapist"
    FRONT_DESK = "front_desk", "Front desk"
    BILLING = "billing", "Billing"
    PATIENT = "patient", "Patient"


STAFF_ROLES = frozenset({Role.ADMIN, Role.THERAPIST, Role.FRONT_DESK, Role.BILLING})
