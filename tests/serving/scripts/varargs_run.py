"""run(*args): a startup error."""


def init():
    pass


def run(*args):
    return args
