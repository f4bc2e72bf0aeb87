"""Rejects some rows: run() raises on rows that contain "bad"."""


def init():
    pass


def run(raw_data):
    if "bad" in raw_data:
        raise ValueError("cannot score this row")
    return {"ok": True}
