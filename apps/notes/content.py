"""Note templates are data: an ordered list of field definitions. This module checks a
template's definitions and validates note content against them.

A field definition is a dict:
  key        identifier used in the content (letters, digits, underscores)
  label      what the therapist sees
  type       text | longtext | scale | integer | choice | multichoice | boolean
  required   must be answered before the note can be signed (default false)
  required_when  {"field": <key>, "in": [values]}: required only when an earlier answer is (or, for a
             multichoice, includes) one of these values
  choices    [[value, label], ...] for choice and multichoice
  min, max   bounds for integer (scale is always 0-10)
  help       optional hint
  section    optional heading the field starts
Drafts may be incomplete; types, ranges and choices are checked on every save.
"""

import re

from apps.core.errors import Unprocessable

FIELD_TYPES = frozenset({"text", "longtext", "scale", "integer", "choice", "multichoice", "boolean"})
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_LENGTH = {"text": 500, "longtext": 20000}
SCALE_MIN, SCALE_MAX = 0, 10


class TemplateDefinitionError(ValueError):
    pass


def template_fields_check(fields) -> None:
    """Raise TemplateDefinitionError when a template's field list is malformed."""
    if not isinstance(fields, list) or not fields:
        raise TemplateDefinitionError("A template needs a non-empty list of fields.")
    seen: set[str] = set()
    for index, field in enumerate(fields):
        where = f"Field {index + 1}"
        if not isinstance(field, dict):
            raise TemplateDefinitionError(f"{where} must be an object.")
        key = field.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise TemplateDefinitionError(f"{where} needs a key of lowercase letters, digits and underscores.")
        if key in seen:
            raise TemplateDefinitionError(f"{where}: the key '{key}' is used twice.")
        seen.add(key)
        if not field.get("label"):
            raise TemplateDefinitionError(f"{where} ('{key}') needs a label.")
        kind = field.get("type")
        if kind not in FIELD_TYPES:
            raise TemplateDefinitionError(f"{where} ('{key}') has an unknown type '{kind}'.")
        if kind in {"choice", "multichoice"}:
            choices = field.get("choices")
            if not choices or not all(isinstance(c, list | tuple) and len(c) == 2 for c in choices):
                raise TemplateDefinitionError(f"{where} ('{key}') needs choices as [value, label] pairs.")
        condition = field.get("required_when")
        if condition is not None and (
            not isinstance(condition, dict) or condition.get("field") not in seen or "in" not in condition
        ):
            raise TemplateDefinitionError(f"{where} ('{key}'): required_when must name an earlier field and values.")


def _is_blank(value) -> bool:
    return value is None or value == "" or value == []


def _check_value(field: dict, value) -> tuple[object, str | None]:
    """The normalised value, or an error message for it."""
    kind = field["type"]
    if kind in MAX_LENGTH:
        if not isinstance(value, str):
            return value, "Enter text."
        value = value.strip()
        if len(value) > MAX_LENGTH[kind]:
            return value, f"Keep this under {MAX_LENGTH[kind]} characters."
        return value, None
    if kind in {"scale", "integer"}:
        low, high = (SCALE_MIN, SCALE_MAX) if kind == "scale" else (field.get("min"), field.get("max"))
        if isinstance(value, bool) or not isinstance(value, int):
            return value, _range_message(low, high)
        if (low is not None and value < low) or (high is not None and value > high):
            return value, _range_message(low, high)
        return value, None
    if kind == "boolean":
        return (value, None) if isinstance(value, bool) else (value, "Choose yes or no.")
    allowed = [choice[0] for choice in field["choices"]]
    if kind == "choice":
        return (value, None) if value in allowed else (value, "Select one of the listed options.")
    if not isinstance(value, list) or any(item not in allowed for item in value):
        return value, "Select only listed options."
    # Keep the template's order and drop repeats, so equal answers store equally.
    return [item for item in allowed if item in value], None


def _range_message(low, high) -> str:
    if low is not None and high is not None:
        return f"Enter a whole number from {low} to {high}."
    if low is not None:
        return f"Enter a whole number of at least {low}."
    if high is not None:
        return f"Enter a whole number of at most {high}."
    return "Enter a whole number."


def _is_required(field: dict, content: dict) -> bool:
    condition = field.get("required_when")
    if condition:
        answer = content.get(condition["field"])
        if isinstance(answer, list):  # a multichoice answer: any selected value counts
            return any(item in condition["in"] for item in answer)
        return answer in condition["in"]
    return bool(field.get("required"))


def content_clean(*, fields: list[dict], content, complete: bool) -> dict:
    """Validate note content against a template; return it normalised (unknown keys refused).

    complete=True (signing) also requires every required field. Raises Unprocessable with
    one message per offending field.
    """
    if not isinstance(content, dict):
        raise Unprocessable("Note content must be an object of field answers.", fields={"content": ["Not an object."]})
    by_key = {field["key"]: field for field in fields}
    errors: dict[str, list[str]] = {}
    for key in content:
        if key not in by_key:
            errors[key] = ["This template has no such field."]
    cleaned: dict = {}
    for field in fields:
        key = field["key"]
        value = content.get(key)
        if _is_blank(value):
            continue
        value, error = _check_value(field, value)
        if error:
            errors[key] = [error]
        elif not _is_blank(value):
            cleaned[key] = value
    if complete:
        for field in fields:
            if field["key"] not in cleaned and field["key"] not in errors and _is_required(field, cleaned):
                errors[field["key"]] = ["This field is required before signing."]
    if errors:
        raise Unprocessable("Some answers need attention.", fields=errors)
    return cleaned


def content_from_form(*, fields: list[dict], data) -> dict:
    """Turn submitted form values (a QueryDict) into typed content for content_clean.

    Values that do not parse are passed on as text, so content_clean reports them per field.
    """
    content: dict = {}
    for field in fields:
        key, kind = field["key"], field["type"]
        if kind == "multichoice":
            content[key] = data.getlist(key)
            continue
        if kind == "boolean":
            raw = data.get(key, "")
            content[key] = {"yes": True, "no": False}.get(raw, raw or None)
            continue
        raw = data.get(key, "")
        if kind in {"scale", "integer"}:
            raw = raw.strip()
            content[key] = int(raw) if re.fullmatch(r"-?\d{1,6}", raw) else (raw or None)
        else:
            content[key] = raw
    return content
