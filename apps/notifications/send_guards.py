"""Why a due message must not go out after all, as the apps above the outbox know it.

The outbox does not import the apps whose messages it carries. An app whose messages can outlive their occasion (a
reminder of a session cancelled or moved since it was queued) registers a guard for those purposes in its
AppConfig.ready(); when such rows fall due, sending asks each guard once per batch about its rows and cancels the
ones it names.
"""

from collections.abc import Callable, Iterable

from django.core.exceptions import ImproperlyConfigured

from .models import Message

# Given due rows of its purposes, a guard answers {message id: why it must not go out} for those that must not.
SendGuard = Callable[[list[Message]], dict[int, str]]

_guards: dict[str, SendGuard] = {}


def send_guard_register(*, purposes: Iterable[str], guard: SendGuard) -> None:
    for purpose in purposes:
        # Two apps judging the same purpose would make sending depend on the order of INSTALLED_APPS.
        if _guards.setdefault(purpose, guard) is not guard:
            raise ImproperlyConfigured(f"Messages of purpose {purpose!r} already have a send guard.")


def send_guards_blockers(messages: Iterable[Message]) -> dict[int, str]:
    """Why each of `messages` that a registered guard stops must not go out, by id; each guard is asked once."""
    by_guard: dict[SendGuard, list[Message]] = {}
    for message in messages:
        if (guard := _guards.get(message.purpose)) is not None:
            by_guard.setdefault(guard, []).append(message)
    blockers: dict[int, str] = {}
    for guard, guarded in by_guard.items():
        blockers.update(guard(guarded))
    return blockers
