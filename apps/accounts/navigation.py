"""The menu each role sees. Apps add their entries here as they gain pages."""

from dataclasses import dataclass

from django.urls import reverse

from .roles import STAFF_ROLES, Role


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str]


STAFF_NAV = [
    NavItem("Home", "home", STAFF_ROLES),
    NavItem("Calendar", "scheduling:calendar", STAFF_ROLES),
    NavItem("My day", "scheduling:my_day", frozenset({Role.THERAPIST})),
    NavItem("Patients", "patients:list", STAFF_ROLES),
    NavItem("Programs", "programs:list", frozenset({Role.ADMIN, Role.THERAPIST, Role.FRONT_DESK})),
    NavItem("Unsigned notes", "notes:unsigned", frozenset({Role.THERAPIST})),
    NavItem("Messages", "notifications:log", frozenset({Role.ADMIN, Role.FRONT_DESK})),
    NavItem("Billing", "billing:home", frozenset({Role.ADMIN, Role.FRONT_DESK, Role.BILLING})),
    NavItem("Users", "accounts:user_list", frozenset({Role.ADMIN})),
    NavItem("Clinic settings", "accounts:clinic_settings", frozenset({Role.ADMIN})),
    NavItem("Access log", "audit:access_log", frozenset({Role.ADMIN})),
    NavItem("API tokens", "accounts:api_tokens", STAFF_ROLES),
]
PORTAL_NAV = [
    NavItem("Home", "portal:dashboard", frozenset({Role.PATIENT})),
    NavItem("Sessions", "portal:sessions:list", frozenset({Role.PATIENT})),
    NavItem("Billing", "portal:billing:home", frozenset({Role.PATIENT})),
    NavItem("Programs", "portal:programs:list", frozenset({Role.PATIENT})),
    NavItem("Questionnaires", "portal:questionnaires", frozenset({Role.PATIENT})),
    NavItem("Journal", "portal:journal", frozenset({Role.PATIENT})),
    NavItem("Settings", "portal:settings", frozenset({Role.PATIENT})),
]


def navigation_for(user) -> list[dict]:
    items = STAFF_NAV if user.is_clinic_staff else PORTAL_NAV
    return [{"label": item.label, "url": reverse(item.url_name)} for item in items if user.has_role(*item.roles)]
