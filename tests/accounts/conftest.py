import socket

import pytest

from tests.notifications.conftest import mail_server  # noqa: F401  (the local SMTP server, shared)


@pytest.fixture
def refusing_mail_server(settings):
    """Email goes over SMTP to an address where nothing listens, as when the mail server is down: every connection
    is refused (the port is held, bound but not listening, for the test's length)."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", held.getsockname()[1]
        settings.EMAIL_TIMEOUT = 5
        yield
