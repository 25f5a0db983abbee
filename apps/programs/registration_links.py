"""The signed link a member of the public manages their lecture registration with: they have no account, so the
link in their emails is the only key. It names the enrollment and nothing else."""

from django.core import signing
from django.urls import reverse

from apps.core.links import absolute_url
from apps.core.signed_links import signed_fields_read, whole_number

# Changing the salt kills every link already emailed.
TOKEN_SALT = "programs.lecture-registration"


def registration_token_make(enrollment_id: int) -> str:
    return signing.dumps({"e": enrollment_id}, salt=TOKEN_SALT, compress=True)


def registration_token_read(token: str) -> int | None:
    """The enrollment the link names, or None when it is forged or malformed."""
    claim = signed_fields_read(token, salt=TOKEN_SALT, fields={"e": whole_number})
    return claim.fields["e"] if claim else None


def registration_manage_url(enrollment) -> str:
    return absolute_url(reverse("lectures:manage", args=[registration_token_make(enrollment.pk)]))
