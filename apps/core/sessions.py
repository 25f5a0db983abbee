"""The session engine (settings.SESSION_ENGINE): database sessions whose idle expiry is pushed forward at most
once a minute, instead of an UPDATE and a disk flush on every request."""

import datetime as dt

from django.contrib.sessions.backends import db

from . import clock

# A session read this long after its expiry was last pushed forward is saved again. The idle timeout is measured
# from the last refresh, so a session may end up to this much sooner than the full timeout after the last click.
EXPIRY_REFRESH_INTERVAL = dt.timedelta(seconds=60)


class SessionStore(db.SessionStore):
    def load(self) -> dict:
        row = self._get_session_from_db()
        if row is None:
            return {}
        data = self.decode(row.session_data)
        now = clock.now()
        # The expiry is the last save plus the session's age, so the last save is the expiry minus that age.
        # `expiry=` keeps get_expiry_age from reading the session being loaded.
        age = self.get_expiry_age(modification=now, expiry=data.get("_session_expiry"))
        if data and row.expire_date - dt.timedelta(seconds=age) <= now - EXPIRY_REFRESH_INTERVAL:
            # SessionMiddleware saves a modified session when the response goes out, which moves the expiry.
            self.modified = True
        return data
