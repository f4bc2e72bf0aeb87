"""print() in init and run goes to the server log."""


def init():
    print("PRINTED-IN-INIT")


def run(data):
    print("PRINTED-IN-RUN", data)
    return {"printed": True}
