"""Signed accept/decline links for offers. A link names one offer and dies with it."""

from dataclasses import dataclass

from django.core import signing

SALT = "programs.offer-link"


@dataclass(frozen=True)
class OfferLink:
    kind: str  # "seat" (program enrollment) or "slot" (individual-slot waitlist)
    object_id: int
    offer_number: int
    action: str  # "accept" or "decline"


def offer_token_make(*, kind: str, object_id: int, offer_number: int, action: str) -> str:
    return signing.dumps({"k": kind, "id": object_id, "n": offer_number, "a": action}, salt=SALT, compress=True)


def offer_token_read(token: str, *, max_age_seconds: int) -> OfferLink | None:
    """The link's offer, or None when the token is forged, malformed or older than the longest hold."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age_seconds)
        link = OfferLink(kind=data["k"], object_id=int(data["id"]), offer_number=int(data["n"]), action=data["a"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if link.action not in {"accept", "decline"} or link.kind not in {"seat", "slot"}:
        return None
    return link
