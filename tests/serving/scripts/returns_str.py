"""run() returns a str: it is JSON-encoded again (a quirk users rely on)."""


def init():
    pass


def run(data):
    return "result: " + data
