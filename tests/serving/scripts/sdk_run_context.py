"""SDK v1 style: logs through the run context, offline inside a service."""

import json

from azureml.core import Run

context = {}


def init():
    context["run"] = Run.get_context()
    context["run"].log("init_done", 1)


def run(raw_data):
    rows = json.loads(raw_data)["data"]
    current = context["run"]
    current.log("rows", len(rows))
    current.log_list("first", rows[0])
    current.tag("stage", "scoring")
    return {"rows": len(rows), "offline": current.id.startswith("OfflineRun_")}
