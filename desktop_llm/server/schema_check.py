"""``response_format``: free text, any JSON object, or a JSON schema the reply must follow.

The worker turns the schema into a llama.cpp grammar; the keywords that builder reads are
checked here first, so a mistake is a 400 naming where it is, not a failed request.
"""

from __future__ import annotations

import json
from typing import Any

from desktop_llm.server.api_errors import ApiError

_SCHEMA_TYPES = ("object", "array", "string", "number", "integer", "boolean", "null")


def check_schema(schema: Any, where: str) -> None:
    """The JSON schema keywords the grammar builder reads, checked so that a mistake is
    a 400 naming where it is (the worker turns the schema into a grammar)."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise ApiError(400, f"{where} must be a JSON schema object", param="response_format")
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
    for k in kinds:
        if k not in _SCHEMA_TYPES:
            raise ApiError(
                400,
                f"{where}.type is {k!r}; use one of {', '.join(_SCHEMA_TYPES)}",
                param="response_format",
            )
    properties = schema.get("properties")
    if properties is not None:
        if not isinstance(properties, dict):
            raise ApiError(400, f"{where}.properties must be an object", param="response_format")
        for name, sub in properties.items():
            check_schema(sub, f"{where}.properties.{name}")
    required = schema.get("required")
    if required is not None and (
        not isinstance(required, list) or not all(isinstance(r, str) for r in required)
    ):
        raise ApiError(
            400, f"{where}.required must be a list of property names", param="response_format"
        )
    for key in ("items", "additionalProperties", "not"):
        if key in schema and not (key == "items" and isinstance(schema[key], list)):
            check_schema(schema[key], f"{where}.{key}")
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        if key in schema:
            subs = schema[key]
            if not isinstance(subs, list) or not subs:
                raise ApiError(
                    400, f"{where}.{key} must be a non-empty list", param="response_format"
                )
            for j, sub in enumerate(subs):
                check_schema(sub, f"{where}.{key}[{j}]")
    if "enum" in schema and not isinstance(schema["enum"], list):
        raise ApiError(400, f"{where}.enum must be a list", param="response_format")
    ref = schema.get("$ref")
    if ref is not None and (not isinstance(ref, str) or not ref.startswith("#")):
        raise ApiError(
            400,
            f"{where}.$ref must point inside the schema ('#/...'); remote schemas are not fetched",
            param="response_format",
        )
    for key in ("$defs", "definitions"):
        defs = schema.get(key)
        if isinstance(defs, dict):
            for name, sub in defs.items():
                check_schema(sub, f"{where}.{key}.{name}")


def response_format(value: Any) -> str | None:
    """The JSON schema (as JSON text) the reply must follow, or None for free text."""
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return json.dumps({"type": "object"})
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict) or "schema" not in spec:
            raise ApiError(
                400,
                "response_format.json_schema must be "
                '{"name": ..., "schema": {...}, "strict": true}',
                param="response_format",
            )
        schema = spec["schema"]
        check_schema(schema, "response_format.json_schema.schema")
        return json.dumps(schema, ensure_ascii=False)
    raise ApiError(
        400,
        f"response_format.type must be 'text', 'json_object' or 'json_schema', not {kind!r}",
        param="response_format",
    )
