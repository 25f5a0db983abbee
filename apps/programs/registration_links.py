"""The signed link a member of the public manages their lecture registration with: they have no account, so the
link in their emails is the only key. It names the enrollment and nothing else."""

from django.core import signing
from django.urls import reverse

from apps.core.links import absolute_url

# Changing the salt kills every link already emailed.
TOKEN_SALT = "programs.lecture-registration"


def registration_token_make(enrollment_id: int) -> str:
    return signing.dumps({"e": enrollment_id}, salt=TOKEN_SALT, compress=True)


def registration_token_read(token: str) -> int | None:
    """The enrollment the link names, or None when it is forged or malformed."""
    try:
        return int(signing.loads(token, salt=TOKEN_SALT)["e"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def registration_manage_url(enrollment) -> str:
    return absolute_url(reverse("lectures:manage", args=[registration_token_make(enrollment.pk)]))
