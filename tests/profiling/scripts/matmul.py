"""BLAS-heavy ground truth: each request multiplies two 256 x 256 matrices a few times.

``init()`` appends the BLAS thread count it was given to ``$THREADS_FILE`` (one line per
launch), so a test can see what each launch of the service ran with.
"""

import json
import os

import numpy as np
from threadpoolctl import threadpool_info

a = None


def init():
    global a
    a = np.random.default_rng(0).random((256, 256))
    threads = [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]
    path = os.environ.get("THREADS_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"blas": threads, "omp": os.environ.get("OMP_NUM_THREADS")}) + "\n")


def run(raw_data):
    b = a
    for _ in range(int(os.environ.get("MATMULS", "4"))):
        b = (a @ b) / 256.0
    return {"trace": float(np.trace(b))}
