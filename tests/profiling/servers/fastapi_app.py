"""A FastAPI app as teams write them: POST /predict, GET /health; served by uvicorn."""

from burn import score
from fastapi import FastAPI, Request

app = FastAPI()


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/predict")
async def predict(request: Request) -> dict[str, object]:
    return score(await request.body())
