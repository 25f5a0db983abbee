"""The link that confirms a new sign-in email, emailed to the new address.

The token names the recorded request (an AccountEmail of kind SIGN_IN_EMAIL_CONFIRM, which holds the old address
and the new one) and the account it is for, signed with its own salt and good for
settings.CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS. It carries no address, so no email shows in a URL or a server log.
That it works once, and only while it is the account's newest request, is the request's to say
(services.sign_in_email_change_for_token): the signature only proves the clinic made it for that account.
"""

from django.conf import settings
from django.core import signing

from apps.core.signed_links import signed_fields_read, whole_number

from .models import AccountEmail

_SALT = "accounts.sign-in-email-confirm"


def confirm_token(row: AccountEmail) -> str:
    return signing.dumps({"request": row.pk, "user": row.user_id}, salt=_SALT)


def confirm_token_read(token: str) -> dict[str, int] | None:
    """{"request": id, "user": id} of a token the clinic signed and that has not expired; None otherwise."""
    claim = signed_fields_read(
        token,
        salt=_SALT,
        fields={"request": whole_number, "user": whole_number},
        max_age=settings.CLINIC_SIGN_IN_EMAIL_CONFIRM_HOURS * 3600,
    )
    return claim.fields if claim else None
