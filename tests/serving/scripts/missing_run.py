"""No run(): a startup error."""


def init():
    pass
