def init():
    pass


def run(raw_data):
    return {"echo": raw_data}
