"""A FastAPI app as teams write one: POST /predict, GET /health.

Run by servesize with ``--server-cmd "python -m uvicorn app:app --host 127.0.0.1
--port {port}"``; the registered model is in ``$AZUREML_MODEL_DIR`` (``-m`` given), or
``MODEL_PATH`` names the file when you run it yourself.
"""

import os

import joblib
import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel

path = os.environ.get("MODEL_PATH") or os.path.join(os.environ["AZUREML_MODEL_DIR"], "model.joblib")
model = joblib.load(path)
app = FastAPI()


class Rows(BaseModel):
    data: list[list[float]]


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict")
def predict(rows: Rows) -> list[float]:
    return model.predict(np.asarray(rows.data, dtype=float)).tolist()
