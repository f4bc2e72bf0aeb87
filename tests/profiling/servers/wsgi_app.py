"""A WSGI app for gunicorn (pre-fork workers): POST /predict, GET /health."""

import json

from burn import score


def app(environ, start_response):  # type: ignore[no-untyped-def]
    path = environ.get("PATH_INFO")
    if path == "/health":
        body = b'{"ok": true}'
    elif path == "/predict":
        size = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.dumps(score(environ["wsgi.input"].read(size))).encode()
    else:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b"{}"]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
