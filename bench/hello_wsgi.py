"""The HTTP floor: a bare WSGI hello-world served by the same gunicorn command as the clinic."""

BODY = b"Hello, world"


def application(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]
