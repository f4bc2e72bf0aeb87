"""@rawhttp imported from the old azureml.contrib path."""

from azureml.contrib.services.aml_request import AMLRequest, rawhttp  # noqa: F401


def init():
    pass


@rawhttp
def run(request):
    if request.method == "POST":
        return {
            "method": request.method,
            "data": request.get_data(as_text=True),
            "args": dict(request.args),
        }
    return {"method": request.method, "args": {k: request.args.getlist(k) for k in request.args}}
