"""@rawhttp: answers with the status code the client asks for (?code=422)."""

from azureml.contrib.services.aml_request import rawhttp
from azureml.contrib.services.aml_response import AMLResponse


def init():
    pass


@rawhttp
def run(request):
    return AMLResponse("as asked", int(request.args.get("code", "200")))
