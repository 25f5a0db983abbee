"""Money recorded once per submission. A form that records money (a payment, an adjustment, a refund, a payment at a
lecture's door) carries a key, new each time the form is shown; the API takes one as an Idempotency-Key header. The
row recorded keeps the key under a unique constraint, so the same submission sent again (a second click, Back then
send, a retry after a timeout) answers the row its first sending recorded, marked `replayed`, instead of recording
another; the key sent with other content is refused (409), as that is a different submission reusing it."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q

from .errors import Conflict


def submission_key_field(noun: str) -> models.UUIDField:
    """The column that keeps the key of the form or API request that recorded the row (None: not keyed)."""
    return models.UUIDField(
        null=True,
        blank=True,
        editable=False,
        help_text=f"The form or API request that recorded it: sent again, it answers this {noun}, not a new one.",
    )


def once_per_submission(name: str, field: str = "submission_key") -> models.UniqueConstraint:
    return models.UniqueConstraint(fields=[field], condition=Q(**{f"{field}__isnull": False}), name=name)


@dataclass(frozen=True)
class Sending:
    """One sending of a submission: its key (None: not keyed, each sending records), whose record it writes to
    (`owner`: the patient's account, the refunded payment, the registration) and what it says (`content`), each as
    the row's field names and values."""

    key: uuid.UUID | None
    owner: dict[str, Any]
    content: dict[str, Any]


@dataclass(frozen=True)
class RecordedOnce:
    """A kind of row recorded once per submission: `model` keeps the key; `noun` and `elsewhere` name it in a refusal
    ("a payment", "on another patient's account"); `described` names the row recorded, for the person whose record
    it is on. `key_field` is the column keeping the key: a row that two submissions write (a package sold, then
    closed) keeps each one's key in a column of its own."""

    model: type[models.Model]
    noun: str
    elsewhere: str
    described: Callable[[Any], str]
    key_field: str = "submission_key"

    def recorded(self, sending: Sending):
        """The row an earlier sending of this submission recorded, marked replayed, or None when it recorded none.
        Asked under the owner's lock, before the checks a second row would fail (the balance is lower once the first
        is recorded): the submission sent again answers its row rather than being refused."""
        if sending.key is None:
            return None
        row = self.model.objects.filter(**{self.key_field: sending.key}).first()
        if row is None:
            return None
        new_submission = (
            f"A different {self.noun} needs a new submission: a freshly loaded form, or a new Idempotency-Key."
        )
        if any(getattr(row, field) != value for field, value in sending.owner.items()):
            # Nothing of another record is named: it may be another patient's.
            raise Conflict(f"This submission already recorded a {self.noun} {self.elsewhere}. {new_submission}")
        if any(getattr(row, field) != value for field, value in sending.content.items()):
            raise Conflict(f"This submission already recorded {self.described(row)}. {new_submission}")
        row.replayed = True
        return row

    def record(self, sending: Sending, create: Callable[[], models.Model]):
        """`create()` (which saves the row with the sending's key) in a savepoint, so that a key taken meanwhile by
        another sending can still be read: the owner's lock keeps two sendings to one record apart, while the same
        key sent for another record at the same moment is stopped by the key's unique constraint and answered as if
        it had been seen before."""
        try:
            with transaction.atomic():
                row = create()
        except IntegrityError:
            if (recorded := self.recorded(sending)) is None:
                raise
            return recorded
        return row
