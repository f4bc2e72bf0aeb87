"""A plain scorer that logs its prediction and forgets to return it (run() gives None)."""

import json


def init():
    pass


def run(raw_data):
    rows = json.loads(raw_data)["data"]
    print("predicted", [sum(row) for row in rows])
