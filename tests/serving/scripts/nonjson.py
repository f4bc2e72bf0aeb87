"""run() returns a value json.dumps cannot encode."""


def init():
    pass


def run(data):
    return {"a set": {1, 2, 3}}
