"""@rawhttp streaming: one JSON line per input row, each sent as soon as it is scored.

Written as Azure's streaming example is: the request's rows go to a generator, the
generator is handed to ``AMLResponse``, each item it yields is one chunk.  Where a real
model would spend time on a row, a row ``{"await": NAME}`` first waits for one line on
the named pipe NAME in the working directory, so a client (a test) decides when that
row exists and can be shown the rows before it while the generator is still running.
"""

import json
import os

from azureml.contrib.services.aml_request import AMLRequest, rawhttp
from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


def score(rows, as_bytes):
    done = 0
    try:
        for row in rows:
            if "await" in row:
                with open(os.path.basename(row["await"]), "rb") as pipe:
                    pipe.readline()
            if row.get("fail"):
                raise ValueError(f"row {row} cannot be scored")
            line = json.dumps({"sum": sum(row.get("data", []))}) + "\n"
            yield line.encode() if as_bytes else line
            done += 1
    finally:
        print(f"scored {done} of {len(rows)} rows")


@rawhttp
def run(request: AMLRequest):
    # a request without a body (a GET from a browser) scores one example row
    rows = json.loads(request.data or b'{"rows": [{"data": [1, 2, 3]}]}')["rows"]
    kind = request.args.get("kind", "str")
    if kind == "list":  # scored up front: sent whole, with a Content-Length
        return AMLResponse(list(score(rows, False)), 200)
    if kind == "raw":  # a bare generator is not a response: azmlinfsrv cannot encode it
        return score(rows, False)
    resp = AMLResponse(score(rows, kind == "bytes"), 200)
    if request.args.get("ndjson"):
        resp.mimetype = "application/x-ndjson"
    return resp
