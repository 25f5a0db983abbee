"""A name typed as a signature, checked against the patient's name on file. Every place a patient signs by typing
their name checks through here, so each says the same thing about the same name."""

import re
import unicodedata

from apps.core.errors import Unprocessable

from .models import Patient

# General words on purpose: the page tells the signer what kind of name is expected, never the name on file, so a
# wrong guess learns nothing about the chart.
SIGNATURE_NAME_MESSAGE = "Type your full name as the clinic has it: first and last name."


def _words(name: str) -> list[str]:
    """The name as comparable words: accents dropped, case folded, hyphens as spaces, other punctuation gone."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return re.sub(r"[^\w\s-]", "", plain).replace("-", " ").split()


def _names_match(typed: list[str], first: list[str], last: list[str]) -> bool:
    """First name words, then any middle names or initials, then last name words."""
    if not first or not last or len(typed) < len(first) + len(last):
        return False
    return typed[: len(first)] == first and typed[len(typed) - len(last) :] == last


def typed_name_check(*, patient: Patient, typed_name: str) -> str:
    """The typed name with its spacing tidied, when it is the patient's first (legal or preferred) and last name,
    in that order, allowing a middle name or initial between; otherwise a 422 naming the field."""
    name = " ".join((typed_name or "").split())
    typed, last = _words(name), _words(patient.legal_last_name)
    firsts = [_words(patient.legal_first_name), _words(patient.preferred_name)]
    if not any(_names_match(typed, first, last) for first in firsts):
        raise Unprocessable(SIGNATURE_NAME_MESSAGE, fields={"typed_name": [SIGNATURE_NAME_MESSAGE]})
    return name
