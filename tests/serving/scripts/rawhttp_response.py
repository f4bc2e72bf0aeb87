"""@rawhttp returning AMLResponse objects with headers and status codes."""

import json

from azureml_inference_server_http.api.aml_request import rawhttp
from azureml_inference_server_http.api.aml_response import AMLResponse


def init():
    pass


@rawhttp
def run(request):
    if request.method != "POST":
        return AMLResponse("only POST", 405)
    body = request.get_json(silent=True)
    if body is None:
        return AMLResponse("not json", 400, {"X-Reason": "bad-json"})
    if body.get("fail"):
        return AMLResponse({"error": "asked to fail"}, 503, json_str=True)
    if body.get("none"):
        return AMLResponse(None, 202)
    return AMLResponse(
        json.dumps({"sum": sum(body.get("x", []))}),
        200,
        {"Content-Type": "application/json", "X-Multi": "a, b", "X-Model": "m1"},
    )
