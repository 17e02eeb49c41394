"""What the server tells its host about each request: a plain record, importable without
the HTTP stack (the window imports it at start; the server itself only when switched on)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestRecord:
    """One request, as the log line (and a later window's list) shows it. No key."""

    method: str
    path: str
    status: int
    seconds: float
    model: str | None = None
    tokens: int | None = None
    tokens_per_s: float | None = None  # generation only: from the first token to the last
    load_s: float | None = None  # the model's load, when this request loaded it
    at: float = field(default_factory=time.time)  # when it finished
