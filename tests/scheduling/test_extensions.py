"""Scheduling's hooks: the apps above it provide them when they start, and a hook answers as if its app were
absent until then."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from apps.billing.services.packages import outcome_previews
from apps.notes.selectors import note_links_for
from apps.programs.selectors import member_meetings_during, member_meetings_warning
from apps.scheduling import extensions


def test_every_hook_is_provided_by_the_app_that_knows_the_answer():
    assert all(hook.provided for hook in extensions.HOOKS)
    assert extensions.note_links._provider is note_links_for
    assert extensions.group_meetings_during._provider is member_meetings_during
    assert extensions.group_meetings_warning._provider is member_meetings_warning
    assert extensions.outcome_prices._provider is outcome_previews


def test_a_hook_nobody_provides_answers_with_its_default():
    hook = extensions.Hook("example", lambda *, appointment: None)
    assert not hook.provided
    assert hook(appointment=object()) is None


def test_a_hook_takes_one_provider():
    hook = extensions.Hook("example", lambda **kwargs: None)
    hook.provide(len)
    hook.provide(len)  # the same app starting twice (a reloaded app registry) is harmless
    with pytest.raises(ImproperlyConfigured, match="already provided"):
        hook.provide(max)
    assert hook.provided
