"""The API's side of recording once per submission (apps.core.submissions): the Idempotency-Key header that names
a request, so that the request sent again answers what it recorded."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter

from .errors import ApplicationError


def idempotency_key_parameter(*, noun: str, differs: str) -> OpenApiParameter:
    """The header as the schema documents it, for a request that records `noun` ("payment"); `differs` names what
    makes another one ("patient, method, amount or reference")."""
    return OpenApiParameter(
        "Idempotency-Key",
        OpenApiTypes.UUID,
        OpenApiParameter.HEADER,
        description=f"A UUID naming this {noun}, new for each {noun}: the request sent again with it (a retry after "
        f"a timeout) records nothing more and answers the {noun} it recorded (200). Sent with another {differs}, it "
        f"is refused (409). Without it, every request records a {noun}.",
    )


def idempotency_key(request) -> uuid.UUID | None:
    """The request's Idempotency-Key header, None without one; anything but a UUID is refused (400)."""
    sent = request.headers.get("Idempotency-Key")
    if sent is None:
        return None
    try:
        return uuid.UUID(sent)
    except ValueError:
        raise ApplicationError(
            "The Idempotency-Key header must be a UUID.", fields={"Idempotency-Key": ["Not a UUID."]}
        ) from None
