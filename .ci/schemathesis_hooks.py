"""Schemathesis hooks of .ci/schemathesis.sh.

- The chat's messages need a real session: each generated request to
  /api/v1/chat/sessions/{id}/messages gets the id and bearer token of a session opened
  on the server under test (a new one every 25 requests).
- NDJSON bodies of POST /api/v1/ingest are sent as the generated text.
"""

import os
import threading

import requests
import schemathesis

BASE = os.environ["VERITY_SCHEMATHESIS_BASE"]
MESSAGES = "/api/v1/chat/sessions/{id}/messages"

_lock = threading.Lock()
_session = {"data": None, "uses": 0}


def _chat_session():
    with _lock:
        if _session["data"] is None or _session["uses"] >= 25:
            r = requests.post(f"{BASE}/api/v1/chat/sessions", json={"language": "de"}, timeout=20)
            r.raise_for_status()
            _session["data"] = r.json()
            _session["uses"] = 0
        _session["uses"] += 1
        return _session["data"]


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != MESSAGES:
        return
    session = _chat_session()
    case.path_parameters = dict(case.path_parameters or {})
    case.path_parameters["id"] = session["session_id"]
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {session['token']}"}


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return {"data": value}
    if isinstance(value, str):
        return {"data": value.encode("utf8")}
    import json

    return {"data": json.dumps(value).encode("utf8")}
