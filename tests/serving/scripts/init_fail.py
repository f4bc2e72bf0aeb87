"""init() raises: the server logs the traceback and the model dir, then exits 3."""


def init():
    raise RuntimeError("model file is corrupt")


def run(data):
    return data
