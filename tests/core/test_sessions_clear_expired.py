import datetime as dt

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from apps.core import clock
from apps.core.tasks import sessions_clear_expired

pytestmark = pytest.mark.django_db


def _session(*, expires_in: dt.timedelta) -> str:
    store = SessionStore()
    store.create()
    Session.objects.filter(session_key=store.session_key).update(expire_date=clock.now() + expires_in)
    return store.session_key


def test_the_hourly_job_deletes_expired_sessions_and_keeps_live_ones():
    _session(expires_in=-dt.timedelta(seconds=1))
    live = _session(expires_in=dt.timedelta(minutes=30))
    assert sessions_clear_expired() == 1
    assert set(Session.objects.values_list("session_key", flat=True)) == {live}
