"""Entry script: ONNX Runtime on one thread, the predicted digit per row."""

import json
import os

import numpy as np
import onnxruntime as ort

session = None


def init():
    global session
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    path = os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.onnx")
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run(raw_data):
    rows = np.asarray(json.loads(raw_data)["data"], dtype=np.float32)
    labels = session.run(None, {session.get_inputs()[0].name: rows})[0]
    return labels.tolist()
