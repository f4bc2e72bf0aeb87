"""run() rejects rows the way real scripts do: one common failure, some distinct ones."""


def init():
    pass


def run(raw_data):
    if raw_data == "ok":
        return "fine"
    if raw_data.startswith("unique-"):
        raise KeyError(raw_data)
    raise ValueError("could not convert string to float: 'n/a'")
