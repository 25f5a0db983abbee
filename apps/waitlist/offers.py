"""The offer engine: a scarce place held for the next person in line, for a limited time.

A group-program seat and a freed weekly slot are both handed out this way. Whoever is first in fair order is
offered the place with a deadline (the clinic's hold time) and told by email (and text) with signed accept and
decline links. Accepting happens under the place's row lock while the offer is open; declining or letting the
deadline pass hands the place to the next in line. Each kind of place (an `OfferKind`) says how its offers are
found, locked and passed on; this module holds what they share: the deadline, the open-offer check, the notice
with its links, the dispatch of a link to its kind's page and the expiry sweep run by beat.
"""

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from apps.core import clock
from apps.core.errors import InvalidTransition
from apps.core.links import absolute_url
from apps.core.models import ClinicSettings
from apps.core.signed_links import signed_fields_read, text, whole_number
from apps.notifications.outbox import patient_notice_enqueue
from apps.patients.rules import LINK_SENT_TO_OLD_CONTACT, link_sent_before_contact_change
from apps.scheduling.reminders import reader_zone_context

# The salt predates this module; changing it would kill the links in notices already sent.
TOKEN_SALT = "programs.offer-link"
ACTIONS = ("accept", "decline")
# A link outlives the longest hold by an hour, so a patient answering at the last minute still lands on the page.
LINK_GRACE = dt.timedelta(hours=1)


@dataclass(frozen=True)
class OfferLink:
    kind: str  # an OfferKind name: "seat" (program enrollment) or "slot" (individual-slot waitlist)
    object_id: int
    offer_number: int
    action: str  # "accept" or "decline"
    signed_at: dt.datetime  # when the link was made, for patients.rules.link_sent_before_contact_change


@dataclass(frozen=True)
class OfferKind:
    """One kind of place offered down a line.

    `due(now)` lists the ids of what has expired offers (each handled in its own transaction by `expire`, which
    locks, expires, tells the patient and offers the place on, returning how many offers expired); `answer_link`
    renders or answers the page an emailed link lands on.
    """

    name: str
    due: Callable[[dt.datetime], Iterable[int]]
    expire: Callable[..., int]
    answer_link: Callable[[HttpRequest, OfferLink], HttpResponse]

    def expire_due(self) -> int:
        """Expire this kind's unanswered offers past their deadline and pass each place on. Returns how many."""
        now = clock.now()
        return sum(self.expire(key, now=now) for key in list(self.due(now)))


_KINDS: dict[str, OfferKind] = {}


def offer_kind_register(kind: OfferKind) -> None:
    """Called from each owning app's ready(): the engine cannot import the apps built on it."""
    _KINDS[kind.name] = kind


def offer_hold() -> dt.timedelta:
    """How long an offer is held for its person: one clinic setting for seats and slots alike."""
    return dt.timedelta(hours=ClinicSettings.load().seat_offer_hold_hours)


def offer_problem(
    *, noun: str, closed: str, expires_at: dt.datetime, offer_number: int | None = None, current_number: int = 1
) -> str:
    """Why this offer cannot be answered now ("" when it can). `closed` is the owner's reason when the offer is no
    longer outstanding; `offer_number` (from a link) must name the latest offer made on the row."""
    if closed:
        return closed
    if offer_number is not None and offer_number != current_number:
        return "This link belongs to an earlier offer."
    if clock.now() >= expires_at:
        return f"This {noun} offer has expired."
    return ""


def offer_check_open(**offer) -> None:
    """Refuse to answer an offer that is closed, superseded or past its deadline (same arguments as offer_problem)."""
    problem = offer_problem(**offer)
    if problem:
        raise InvalidTransition(problem)


def offer_token_make(*, kind: str, object_id: int, offer_number: int, action: str) -> str:
    return signing.dumps({"k": kind, "id": object_id, "n": offer_number, "a": action}, salt=TOKEN_SALT, compress=True)


def offer_token_read(token: str) -> OfferLink | None:
    """The link's offer, or None when the token is forged, malformed or older than the longest hold."""
    max_age = offer_hold() + LINK_GRACE
    fields = {"k": text, "id": whole_number, "n": whole_number, "a": text}
    data = signed_fields_read(token, salt=TOKEN_SALT, fields=fields, max_age=int(max_age.total_seconds()))
    if data is None:
        return None
    fields = data.fields
    link = OfferLink(
        kind=fields["k"], object_id=fields["id"], offer_number=fields["n"], action=fields["a"], signed_at=data.signed_at
    )
    if link.action not in ACTIONS or link.kind not in _KINDS:
        return None
    return link


def offer_links(
    *, kind: str, object_id: int, offer_number: int, landing: str = "portal:programs:offer_link"
) -> dict[str, str]:
    """Absolute accept and decline links for one offer, to the `landing` page (a URL name taking the token): the
    portal's for patients, a public page for people without an account."""
    links = {}
    for action in ACTIONS:
        token = offer_token_make(kind=kind, object_id=object_id, offer_number=offer_number, action=action)
        links[f"{action}_url"] = absolute_url(reverse(landing, args=[token]))
    return links


def offer_notify(
    *,
    kind: str,
    object_id: int,
    offer_number: int,
    patient,
    subject,
    template: str,
    key: str,
    context,
    expires_at: dt.datetime,
):
    """Tell the patient about a new offer, by email and text, with its accept and decline links; its deadline is
    told in the clinic's time, named, and in theirs when they set another zone. A notice still unsent at the
    deadline (`expires_at`) is not sent."""
    links = offer_links(kind=kind, object_id=object_id, offer_number=offer_number)
    context = {**context, **links, **reader_zone_context(patient)}
    patient_notice_enqueue(
        patient=patient, subject=subject, template=template, key=key, context=context, expires_at=expires_at
    )


def offer_link_actor(request: HttpRequest, patient):
    """Who answers an offer from its emailed link: the signed-in patient (the kind has checked it is their offer), or,
    signed out, the patient the link was sent to, for whom the signed link stands in for signing in (as a reminder's
    confirm and cancel links do), so a patient without a portal account can answer too."""
    return request.user if request.user.is_authenticated else patient.user


def offer_link_answered(request: HttpRequest, portal_page: str) -> HttpResponse:
    """Where answering from a link leads: the portal page of the place for a signed-in patient, back to the link's
    own page (which then says how it stands) for someone signed out."""
    if request.user.is_authenticated:
        return redirect(portal_page)
    return redirect(request.get_full_path())


def offer_link_invalid(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The page of a link that cannot be answered at all (404), with why when there is more to say than "too old"."""
    return render(request, "waitlist/portal/offer_invalid.html", {"reason": reason}, status=404)


def offer_link_outdated(request: HttpRequest, link: OfferLink, patient) -> HttpResponse | None:
    """The invalid link's page when the link went out before the patient's email or number last changed, None while
    it still speaks for them: each kind asks once it has found whose offer the link names. The offer stays open, to
    be answered in the portal or through the clinic."""
    if link_sent_before_contact_change(patient=patient, signed_at=link.signed_at):
        return offer_link_invalid(request, LINK_SENT_TO_OLD_CONTACT)
    return None


def offer_link_answer(request: HttpRequest, link: OfferLink) -> HttpResponse:
    """The landing page of an emailed link: the kind that made the offer shows or answers it."""
    return _KINDS[link.kind].answer_link(request, link)


def offers_expire(*, kind: str | None = None) -> int:
    """Expire every unanswered offer past its deadline (of one kind, or of every kind) and pass each place on.
    Returns how many expired."""
    kinds = [_KINDS[kind]] if kind is not None else list(_KINDS.values())
    return sum(each.expire_due() for each in kinds)
