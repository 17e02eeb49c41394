"""OpenAI's error shape: every refusal is an :class:`ApiError`, answered as
``{"error": {"message", "type", "param", "code"}}`` with a message a person can act on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ApiError(Exception):
    """An answer in OpenAI's error shape."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.code, self.param)


def error_body(
    message: str, type: str, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def not_supported(param: str, detail: str = "") -> ApiError:
    more = f" ({detail})" if detail else ""
    return ApiError(
        400,
        f"'{param}' is not supported yet by this server{more}; leave it out",
        code="unsupported_parameter",
        param=param,
    )
