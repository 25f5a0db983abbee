"""Shapes a template and its answers into rows the note page renders, editable or read-only."""


def _display(field: dict, value) -> str:
    if value is None or value == "" or value == []:
        return ""
    kind = field["type"]
    if kind == "boolean":
        return "Yes" if value else "No"
    if kind in {"choice", "multichoice"}:
        labels = {choice[0]: choice[1] for choice in field["choices"]}
        values = value if isinstance(value, list) else [value]
        return ", ".join(labels.get(item, str(item)) for item in values)
    if kind == "scale":
        return f"{value} / 10"
    return str(value)


def _condition_hint(field: dict, by_key: dict) -> str:
    condition = field.get("required_when")
    if not condition or condition["field"] not in by_key:
        return ""
    other = by_key[condition["field"]]
    labels = {choice[0]: choice[1] for choice in other.get("choices", [])}
    values = " or ".join(labels.get(value, str(value)).lower() for value in condition["in"])
    return f"Required when “{other['label']}” is {values}."


def field_rows(*, fields: list[dict], content: dict, errors: dict | None = None) -> list[dict]:
    errors = errors or {}
    by_key = {field["key"]: field for field in fields}
    rows = []
    for field in fields:
        value = content.get(field["key"])
        rows.append(
            {
                "field": field,
                "key": field["key"],
                "type": field["type"],
                "value": "" if value is None else value,
                "values": value if isinstance(value, list) else [],
                "display": _display(field, value),
                "errors": errors.get(field["key"], []),
                "required": bool(field.get("required")),
                "condition": _condition_hint(field, by_key),
            }
        )
    return rows


def template_sections(fields: list[dict]) -> list[str]:
    """The headings a template's fields are grouped under, in order: what signing a note from it locks."""
    return [field["section"] for field in fields if field.get("section")]
