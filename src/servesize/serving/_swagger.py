"""``GET /swagger.json?version=2|3|3.1``: the OpenAPI document azmlinfsrv serves.

A user file in the app root (``swagger.json``/``swagger2.json``, ``swagger3.json``,
``swagger3.1.json``) wins; otherwise the document is generated, with
``ServiceInput``/``ServiceOutput`` from ``inference-schema`` for decorated scripts.
Every document is built once at start-up and served as ready bytes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["SwaggerDocs"]

_ALIASES = {"2": ("2", "2.0"), "3": ("3", "3.0"), "3.1": ("3.1",)}
_USER_FILES = {
    "2": ("swagger.json", "swagger2.json"),
    "3": ("swagger3.json",),
    "3.1": ("swagger3.1.json",),
}
_EMPTY: dict[str, Any] = {"type": "object", "example": {}}
_ERROR = {"type": "object", "properties": {"message": {"type": "string"}}}
_DEFAULT_ERROR = "The service failed to execute due to an error."
_HEALTH = "Simple health check endpoint to ensure the service is up at any given point."
_HEALTHY = "If service is up and running, this response will be returned with the content 'Healthy'"


def _paths(prefix: str, v2: bool) -> dict[str, Any]:
    ref = "#/definitions/" if v2 else "#/components/schemas/"

    def body(schema: dict[str, Any], media: str = "application/json") -> dict[str, Any]:
        return {"schema": schema} if v2 else {"content": {media: {"schema": schema}}}

    def default() -> dict[str, Any]:
        return {"description": _DEFAULT_ERROR, **body({"$ref": ref + "ErrorResponse"})}

    payload = "The input payload for executing the real-time machine learning service."
    score: dict[str, Any] = {
        "operationId": "RunMLService",
        "description": "Run web service's model and get the prediction output",
        "security": [{"Bearer": []}],
        "responses": {
            "200": {
                "description": "The service processed the input correctly and provided a "
                "result prediction, if applicable.",
                **body({"$ref": ref + "ServiceOutput"}),
            },
            "default": default(),
        },
    }
    if v2:
        score["parameters"] = [
            {
                "name": "serviceInputPayload",
                "in": "body",
                "description": payload,
                "schema": {"$ref": ref + "ServiceInput"},
            }
        ]
    else:
        score["requestBody"] = {"description": payload, **body({"$ref": ref + "ServiceInput"})}
    version_param: dict[str, Any] = {"name": "version", "in": "query", "required": False}
    enum = {"type": "integer", "enum": [2, 3]}
    version_param.update(enum if v2 else {"schema": enum})
    text = "text/plain"
    return {
        f"{prefix}/": {
            "get": {
                "operationId": "ServiceHealthCheck",
                "description": _HEALTH,
                "responses": {
                    "200": {
                        "description": _HEALTHY,
                        **(
                            {
                                "schema": {"type": "string"},
                                "examples": {"application/json": "Healthy"},
                            }
                            if v2
                            else body({"type": "string", "example": "Healthy"}, text)
                        ),
                    },
                    "default": default(),
                },
            }
        },
        f"{prefix}/score": {"post": score},
        f"{prefix}/swagger.json": {
            "get": {
                "operationId": "GetSwaggerSpec",
                "description": "Get the Swagger specification.",
                "parameters": [version_param],
                "responses": {
                    "200": {
                        "description": "The Swagger specification.",
                        **body({"type": "string"}, text),
                    },
                    "default": default(),
                },
            }
        },
    }


def _document(version: str, schemas: tuple[Any, Any]) -> dict[str, Any]:
    name = os.environ.get("SERVICE_NAME", "ML service")
    prefix = os.environ.get("SERVICE_PATH_PREFIX", "").strip("/")
    info = {
        "title": name,
        "description": f"API specification for the Azure Machine Learning service {name}",
        "version": os.environ.get("SERVICE_VERSION", "1.0"),
    }
    bearer = {
        "type": "apiKey",
        "name": "Authorization",
        "in": "header",
        "description": "For example: Bearer abc123",
    }
    defs = {"ServiceInput": schemas[0], "ServiceOutput": schemas[1], "ErrorResponse": _ERROR}
    paths = _paths(f"/{prefix}" if prefix else "", version == "2")
    if version == "2":
        return {
            "swagger": "2.0",
            "info": info,
            "schemes": ["https"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "securityDefinitions": {"Bearer": bearer},
            "paths": paths,
            "definitions": defs,
        }
    return {
        "openapi": "3.1.0" if version == "3.1" else "3.0.3",
        "info": info,
        "security": [{"Bearer": []}],
        "paths": paths,
        "components": {"schemas": defs, "securitySchemes": {"Bearer": bearer}},
    }


def _generated(run: Callable[..., Any], schema_mode: bool) -> dict[str, tuple[Any, Any]]:
    try:
        from inference_schema.schema_util import (
            get_input_schema,
            get_output_schema,
            get_supported_versions,
        )
    except ImportError:
        return {v: (_EMPTY, _EMPTY) for v in _ALIASES}
    supported = set(get_supported_versions(run))
    schemas = (get_input_schema(run), get_output_schema(run)) if schema_mode else (_EMPTY, _EMPTY)
    return {v: schemas for v, aliases in _ALIASES.items() if supported & set(aliases)}


class SwaggerDocs:
    """The swagger documents of one entry script, by version alias, as JSON bytes."""

    def __init__(self, app_root: Path, run: Callable[..., Any], schema_mode: bool) -> None:
        self._docs: dict[str, bytes] = {}
        generated = _generated(run, schema_mode)
        self.supported: list[str] = []
        for version, aliases in _ALIASES.items():
            doc = _user_file(app_root, version)
            if doc is None and version in generated:
                doc = _document(version, generated[version])
            if doc is not None:
                self.supported.append(version)
                for alias in aliases:
                    self._docs[alias] = json.dumps(doc).encode()

    def get(self, version: str) -> tuple[int, bytes]:
        """``(200, document)`` or ``(404, error JSON)`` with azmlinfsrv's messages."""
        if version in self._docs:
            return 200, self._docs[version]
        listed = ", ".join(sorted(self.supported))
        if not any(version in aliases for aliases in _ALIASES.values()):
            message = f"Swagger version [{version}] is not valid. Supported versions: [{listed}]."
        else:
            message = (
                f"Swagger version [{version}] is not supported for the scoring script. "
                f"Supported swagger versions: [{listed}]."
            )
        return 404, json.dumps({"message": message}).encode()


def _user_file(app_root: Path, version: str) -> dict[str, Any] | None:
    for name in _USER_FILES[version]:
        path = app_root / name
        if path.is_file():
            loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
            return loaded
    return None
