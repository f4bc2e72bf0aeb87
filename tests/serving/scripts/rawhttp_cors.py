"""@rawhttp answering browsers: CORS preflight and headers, as Azure's CORS example does.

Only POST and OPTIONS are handled; any other method falls through and returns None.
"""

from azureml.contrib.services.aml_request import rawhttp
from azureml.contrib.services.aml_response import AMLResponse

ORIGIN = "http://www.example.com"


def init():
    pass


@rawhttp
def run(request):
    if request.method == "POST":
        body = request.get_data(False)
        resp = AMLResponse(body.upper(), 200)
        resp.headers["Access-Control-Allow-Origin"] = ORIGIN
        resp.vary = ["Origin", "Accept-Encoding"]
        resp.set_cookie("session", request.headers.get("X-Session", "new"), httponly=True)
        if request.args.get("created"):
            resp.status_code = 201
        if request.args.get("ttl"):
            resp.cache_control.max_age = int(request.args["ttl"])
            resp.cache_control.public = True
            resp.set_etag("v1")
        return resp
    if request.method == "OPTIONS":
        resp = AMLResponse("", 200)
        resp.access_control_allow_origin = ORIGIN
        resp.access_control_allow_methods = ["POST", "OPTIONS"]
        resp.headers["Allow"] = "OPTIONS, GET, POST"
        resp.headers["Access-Control-Allow-Headers"] = "*"
        resp.access_control_max_age = 600
        return resp
