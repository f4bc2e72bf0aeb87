"""@input_schema with a numpy parameter and a standard-types parameter."""

import numpy as np
from inference_schema.parameter_types.numpy_parameter_type import NumpyParameterType
from inference_schema.parameter_types.standard_py_parameter_type import (
    StandardPythonParameterType,
)
from inference_schema.schema_decorators import input_schema, output_schema

_sample = np.array([[1.0, 2.0], [3.0, 4.0]])


def init():
    pass


@input_schema("data", NumpyParameterType(_sample))
@input_schema("scale", StandardPythonParameterType(2.0))
@output_schema(StandardPythonParameterType({"total": 1.0, "shape": [2, 2]}))
def run(data, scale=1.0):
    return {"total": float(np.sum(data) * scale), "shape": list(data.shape)}
