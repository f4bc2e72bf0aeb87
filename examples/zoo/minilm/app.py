"""Sentence embeddings behind FastAPI: POST /embed {"sentences": [...]}, GET /health.

Started by servesize with ``--server-cmd "$SERVESIZE_ZOO_TEXT_PYTHON -m uvicorn app:app
--host 127.0.0.1 --port {port}" -m minilm``; the model folder is in ``$AZUREML_MODEL_DIR``.
PyTorch uses ``TORCH_THREADS`` threads (default 1: sizing counts cores, and torch would
otherwise take every core it sees).
"""

import os

import torch
from fastapi import FastAPI
from pydantic import BaseModel
from sentence_transformers import SentenceTransformer

torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "1")))
model = SentenceTransformer(
    os.path.join(os.environ["AZUREML_MODEL_DIR"], "all-MiniLM-L6-v2"), device="cpu"
)
app = FastAPI()


class Sentences(BaseModel):
    sentences: list[str]


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/embed")
def embed(body: Sentences) -> list[list[float]]:
    return model.encode(body.sentences, convert_to_numpy=True).round(6).tolist()
