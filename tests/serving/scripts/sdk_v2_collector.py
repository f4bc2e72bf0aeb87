"""Managed-online-endpoint style: inputs and outputs go to data collectors."""

import json

from azureml.ai.monitoring import Collector
from azureml.ai.monitoring.context import BasicCorrelationContext

dropped = []
collectors = {}


def init():
    collectors["in"] = Collector(name="model_inputs", on_error=lambda e: dropped.append(str(e)))
    collectors["out"] = Collector(name="model_outputs", on_error=lambda e: dropped.append(str(e)))


def run(raw_data):
    body = json.loads(raw_data)
    given = BasicCorrelationContext(id=body["id"]) if "id" in body else None
    context = collectors["in"].collect(body["data"], given)
    result = [sum(row) for row in body["data"]]
    echoed = collectors["out"].collect(result, context)
    return {
        "result": result,
        "same_context": echoed.get_id() == context.get_id(),
        "id_kept": given is None or context.get_id() == body["id"],
        "id_length": len(context.get_id()),
        "dropped": sorted(set(dropped)),
        "drops": len(dropped),
    }
