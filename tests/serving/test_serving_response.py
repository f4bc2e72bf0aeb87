"""servesize's ``AMLResponse`` against Azure's (a Flask ``Response``), attribute by attribute.

Each recipe builds a response the way entry scripts do and sets what they set; it runs
here on servesize's class and in the reference environment on azmlinfsrv's, and the
status, the header list (order included), the body and what the recipe reads back must
be the same.  What reaches the wire is checked by test_serving_differential.py.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from servesize.serving import AMLResponse

from .serving_helpers import require_azmlinfsrv

R = "resp = AMLResponse(b'\\xff\\xd8body', 200)\n"
RECIPES: dict[str, str] = {
    "mimetype-image": R + "resp.mimetype = 'image/jpg'",
    "mimetype-text": R + "resp.mimetype = 'text/csv'",
    "mimetype-xml": R + "resp.mimetype = 'image/svg+xml'",
    "mimetype-js": R + "resp.mimetype = 'application/javascript'",
    "mimetype-json": "resp = AMLResponse('{\"a\": 1}', 200)\nresp.mimetype = 'application/json'\n"
    "result = [resp.is_json, resp.get_json(), resp.mimetype]",
    "mimetype-params": R + "resp.mimetype_params['charset'] = 'latin-1'\n"
    "result = [resp.mimetype, dict(resp.mimetype_params)]",
    "content-type": R + "resp.content_type = 'image/png'\nresult = resp.mimetype",
    "content-type-none": R + "resp.content_type = None\nresult = resp.mimetype",
    "fields-none": R + "resp.content_length = None\nresp.age = None\nresp.vary = ''",
    "fields-del": R + "del resp.content_type\ndel resp.location\nresult = resp.mimetype",
    "mimetype-argument": "resp = AMLResponse(b'x', 200, mimetype='image/png')",
    "header-type": "resp = AMLResponse(b'x', 200, {'Content-Type': 'image/png'})",
    "header-type-lower": "resp = AMLResponse(b'x', 200, {'content-type': 'image/png'})",
    "header-type-json-str": "resp = AMLResponse([1], 200, {'Content-Type': 'a/b'}, json_str=True)",
    "header-repeated": "resp = AMLResponse(b'x', 200, {'X-M': 'a, b,c'})",
    "header-not-str": "resp = AMLResponse(b'x', 200, {'X-N': 5})",
    "none": "resp = AMLResponse(None, 202)",
    "json-str": "resp = AMLResponse({'a': [1, 2]}, 201, json_str=True, run_function_failed=True)",
    "str": "resp = AMLResponse('héllo', 200)\nresult = [resp.content_length, resp.is_streamed]",
    "list": "resp = AMLResponse([b'a', 'é'], 200)\nresult = [resp.is_streamed, resp.is_sequence]",
    "generator": "resp = AMLResponse((c for c in ['a', b'b']), 200)\n"
    "result = [resp.is_streamed, resp.get_data(), resp.is_streamed, resp.is_sequence]",
    "status-code": R + "resp.status_code = 201\nresult = resp.status",
    "status-text": R + "resp.status = '299 Made Up'\nresult = resp.status_code",
    "status-int": R + "resp.status = 418\nresult = resp.status",
    "status-bare": R + "resp.status = '404'\nresult = resp.status",
    "status-words": R + "resp.status = 'teapot'\nresult = resp.status_code",
    "status-argument": "resp = AMLResponse(b'x', '202 ACCEPTED')\nresult = resp.status_code",
    "status-unknown": R + "resp.status_code = 599\nresult = resp.status",
    "set-data": R + "resp.set_data('new')\nresult = resp.content_length",
    "data": R + "resp.data = b'assigned'\nresult = resp.data",
    "headers-set": R + "resp.headers['X-A'] = 1\nresp.headers.add('X-B', '2')\n"
    "resp.headers.add('x-a', 'again')\nresp.headers['X-B'] = 3\nresp.headers.set('x-a', 'first')",
    "headers-params": R + "resp.headers.add('Content-Disposition', 'attachment',"
    " filename='a b.jpg')\nresp.headers.set('X-P', 'v', some_key='x', plain='y')",
    "headers-more": R + "resp.headers.extend({'X-E': ['1', '2']})\n"
    "resp.headers.update({'X-E': '3', 'X-U': ('a', 'b')})\n"
    "resp.headers.setdefault('X-D', 'd')\nresp.headers.setdefault('X-D', 'e')\n"
    "result = [resp.headers.pop('X-D'), resp.headers.get('x-e'), resp.headers.getlist('X-U'),"
    " 'x-u' in resp.headers]\ndel resp.headers['X-Missing']\nresp.headers.remove('X-U')",
    "header-newline": R + "resp.headers['X-Bad'] = 'a\\nb'",
    "headers-get-type": R + "resp.headers['X-N'] = '5'\n"
    "result = [resp.headers.get('X-N', type=int), resp.headers.get('X-Q', 7, type=int)]",
    "cors": R + "resp.access_control_allow_origin = '*'\n"
    "resp.access_control_allow_methods = ['GET', 'POST']\n"
    "resp.access_control_allow_headers = 'X-A, X-B'\n"
    "resp.access_control_expose_headers = ['X-Out']\nresp.access_control_max_age = 60\n"
    "resp.access_control_allow_credentials = True\n"
    "result = [resp.access_control_max_age, resp.access_control_allow_credentials]",
    "vary": R + "resp.vary = ['Origin', 'Accept Encoding']\nresp.vary.add('Cookie')\n"
    "resp.content_language = 'en'\nresp.allow = ['GET']\nresp.allow = None\n"
    "result = ['origin' in resp.vary, len(resp.vary)]",
    "cache-control": R + "resp.cache_control.max_age = 300\nresp.cache_control.public = True\n"
    "resp.cache_control.no_cache = True\nresp.cache_control.s_maxage = 60\n"
    "resp.cache_control.public = False\n"
    "result = [resp.cache_control.max_age, resp.cache_control.public,"
    " resp.cache_control.no_cache, resp.cache_control.no_store]",
    "cache-control-private": R + "resp.cache_control.private = True\n"
    "resp.cache_control.immutable = True\nresp.cache_control.max_age = None",
    "etag": R + "resp.set_etag('v1')\nfirst = resp.get_etag()\nresp.set_etag('v2', weak=True)\n"
    "result = [first, resp.get_etag()]",
    "dates": R + "resp.expires = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)\n"
    "resp.last_modified = 1700000000\nresp.date = datetime(2031, 5, 6)\n"
    "resp.age = timedelta(minutes=2)\n"
    "result = [resp.expires.isoformat(), resp.age.total_seconds(), resp.last_modified.year]",
    "retry-after": R + "resp.retry_after = 120\nresp.retry_after = "
    "datetime(2030, 1, 1, tzinfo=timezone.utc)\nresult = resp.retry_after.isoformat()",
    "location": R + "resp.location = '/images/a b.jpg'\nresp.content_location = '/x'\n"
    "resp.content_encoding = 'gzip'\nresp.accept_ranges = 'bytes'\nresult = resp.location",
    "cookies": R + "resp.set_cookie('sid', 'abc')\n"
    "resp.set_cookie('pref', 'a b;c', path='/app', domain='.example.com', secure=True,"
    " httponly=True, samesite='strict')\n"
    "resp.set_cookie('t', 'v', expires=datetime(2030, 1, 1, tzinfo=timezone.utc))\n"
    "resp.delete_cookie('old')",
    "cookie-bad-samesite": R + "resp.set_cookie('a', 'b', samesite='sometimes')",
    "close": "closed = []\ndef gen():\n    try:\n        yield b'a'\n    finally:\n"
    "        closed.append('gen')\nresp = AMLResponse(gen(), 200)\n"
    "resp.call_on_close(lambda: closed.append('callback'))\nit = iter(resp.response)\n"
    "next(it)\nresp.close()\nresp = AMLResponse(b'', 200)\nresult = closed",
    "freeze": "resp = AMLResponse(iter([b'a', b'bc']), 200)\nresp.freeze()\n"
    "result = [resp.is_streamed, resp.calculate_content_length()]",
}

RUNNER = """
import json, sys
from datetime import datetime, timedelta, timezone

def run_all(AMLResponse, recipes):
    out = {}
    for name, code in recipes.items():
        ns = {"AMLResponse": AMLResponse, "datetime": datetime, "timedelta": timedelta,
              "timezone": timezone}
        try:
            exec(code, ns)
            resp = ns["resp"]
            out[name] = {
                "status": resp.status,
                "code": resp.status_code,
                "headers": [list(h) for h in resp.headers.items()],
                "body": resp.get_data().decode("latin-1"),
                "result": repr(ns.get("result")),
            }
        except Exception as exc:
            out[name] = {"error": type(exc).__name__}
    return out
"""


def _run_ours() -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(RUNNER, namespace)
    result: dict[str, Any] = json.loads(json.dumps(namespace["run_all"](AMLResponse, RECIPES)))
    return result


def _run_azure() -> dict[str, Any]:
    python = Path(require_azmlinfsrv()).parent / "python"
    program = (
        RUNNER + "from azureml_inference_server_http.api.aml_response import AMLResponse\n"
        "json.dump(run_all(AMLResponse, json.load(sys.stdin)), sys.stdout)\n"
    )
    done = subprocess.run(
        [str(python), "-c", program],
        input=json.dumps(RECIPES),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def answers() -> tuple[dict[str, Any], dict[str, Any]]:
    return _run_azure(), _run_ours()


@pytest.mark.parametrize("name", list(RECIPES))
def test_same_response_as_azure_amlresponse(
    answers: tuple[dict[str, Any], dict[str, Any]], name: str
) -> None:
    theirs, ours = answers
    assert ours[name] == theirs[name]


def test_an_attribute_not_carried_says_so() -> None:
    resp = AMLResponse(b"x", 200)
    with pytest.raises(AttributeError, match="does not support 'www_authenticate'"):
        resp.www_authenticate = "Basic"


def test_the_reference_dates_are_not_local_time() -> None:
    """A naive datetime is UTC, as in Werkzeug (the recipes use it too)."""
    resp = AMLResponse(b"x", 200)
    resp.expires = datetime(2030, 1, 2, 3, 4, 5)
    assert resp.headers["Expires"] == "Wed, 02 Jan 2030 03:04:05 GMT"
    resp.age = timedelta(seconds=90)
    assert resp.headers["Age"] == "90"
    assert resp.expires == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
