"""The fee configuration's history: every change to fees, guidelines and the class table, in words."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from pghistory.models import MiddlewareEvents

from apps.core.money import money, money_text
from apps.core.when import day_text

from ..models import FeeBasis, FeeSchedule, GuidelineRegion, PovertyGuideline, SlidingScaleClass, SlidingScaleSchedule

# What each tracked configuration table is called on the history page.
CONFIG_HISTORY_MODELS = {
    FeeSchedule: "Fee",
    PovertyGuideline: "Poverty guideline",
    SlidingScaleSchedule: "Sliding-scale table",
    SlidingScaleClass: "Sliding-scale class",
}
# Bookkeeping columns that change with every save and say nothing to a reader.
_HISTORY_NOISE = {"id", "created_at", "updated_at"}
_MONEY_FIELDS = {"full_fee", "first_person", "each_additional_person", "nominal_fee", "late_cancel_fee"}
_PERCENT_FIELDS = {"max_percent", "percent_of_full"}
_DATE_FIELDS = {"effective_from", "effective_to"}
# Stored codes, shown by the names the configuration page gives them.
_CHOICE_FIELDS = {"region": GuidelineRegion, "basis": FeeBasis}


def _history_value(name: str, value):
    """Row history holds the row as JSON, where numbers come back as floats and dates and choices as their stored
    text; show them as the configuration page does (the columns' decimals, dates in words, choices by name)."""
    if isinstance(value, str) and name in _DATE_FIELDS:
        return day_text(dt.date.fromisoformat(value))
    if isinstance(value, str) and name in _CHOICE_FIELDS:
        choices = _CHOICE_FIELDS[name]
        return choices(value).label if value in choices.values else value
    if value is None or not isinstance(value, int | float):
        return value
    if name in _MONEY_FIELDS:
        return money_text(money(Decimal(str(value))))
    if name in _PERCENT_FIELDS:
        percent = Decimal(str(value))
        return percent.quantize(Decimal(1)) if percent == percent.to_integral_value() else percent.normalize()
    return value


@dataclass
class ConfigChange:
    at: dt.datetime
    who: object
    what: str
    action: str
    summary: str
    changes: list[tuple[str, object, object]]


def configuration_history() -> QuerySet[MiddlewareEvents]:
    """Every insert and update of the fee configuration, newest first, from the row-history triggers."""
    event_models = [model.pgh_event_model for model in CONFIG_HISTORY_MODELS]
    return MiddlewareEvents.objects.across(*event_models).order_by("-pgh_created_at", "-pgh_id")


def configuration_changes(events) -> list[ConfigChange]:
    """A page of history events in words: who, which row, and each field's old and new value. Three queries."""
    from apps.scheduling.models import ServiceType

    events = list(events)

    def referenced(key):
        return {e.pgh_data.get(key) for e in events} - {None}

    names = {
        "user": get_user_model().objects.in_bulk({(e.pgh_context or {}).get("user") for e in events} - {None}),
        "service_type_id": ServiceType.objects.in_bulk(referenced("service_type_id")),
        "schedule_id": SlidingScaleSchedule.objects.in_bulk(referenced("schedule_id")),
    }
    labels = {model._meta.label: label for model, label in CONFIG_HISTORY_MODELS.items()}
    return [
        ConfigChange(
            at=event.pgh_created_at,
            who=names["user"].get((event.pgh_context or {}).get("user")),
            what=labels.get(event.pgh_obj_model, event.pgh_obj_model),
            action="added" if event.pgh_label == "insert" else "changed",
            summary=_config_summary(event.pgh_obj_model, event.pgh_data, names),
            changes=[
                (name.replace("_", " "), _history_value(name, old), _history_value(name, new))
                for name, (old, new) in sorted((event.pgh_diff or {}).items())
                if name not in _HISTORY_NOISE
            ],
        )
        for event in events
    ]


def _config_summary(model_label: str, raw: dict, names: dict) -> str:
    data = {name: _history_value(name, value) for name, value in raw.items()}
    if model_label == FeeSchedule._meta.label:
        service = names["service_type_id"].get(data["service_type_id"])
        code = f"{service.name} ({service.code})" if service else f"service #{data['service_type_id']}"
        return f"{code}: {data['full_fee']} from {data['effective_from']}"
    if model_label == PovertyGuideline._meta.label:
        return (
            f"{data['year']} {data['region']}: {data['first_person']} "
            f"+ {data['each_additional_person']} per additional person"
        )
    if model_label == SlidingScaleSchedule._meta.label:
        return (
            f"{data['name']} from {data['effective_from']}: nominal fee {data['nominal_fee']}, "
            f"policy fee {data['late_cancel_fee']}"
        )
    schedule = names["schedule_id"].get(data["schedule_id"])
    table = f"table from {day_text(schedule.effective_from)}" if schedule else f"table #{data['schedule_id']}"
    bound = f"up to {data['max_percent']}%" if data.get("max_percent") is not None else "no upper bound"
    fee = "nominal fee" if data.get("basis") == FeeBasis.NOMINAL.label else f"{data['percent_of_full']}% of full fee"
    return f"{data['code']} {data['label']} ({table}): {bound}, {fee}"
