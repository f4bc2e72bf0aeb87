"""run() raises: 500 with x-ms-run-function-failed, and the server keeps serving."""


def init():
    pass


def run(data):
    if data == "ok":
        return "fine"
    raise ValueError("boom from run")
