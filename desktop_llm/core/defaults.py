"""Defaults that several layers share, written once.

A default used by one module stays in that module; the ones here are read by the core,
the services, the CLI's help texts and the window alike. The chat's sampling defaults
(temperature, top_p, ...) are the fields of ``ChatSettings`` in core/chat/conversation.py.
"""

from __future__ import annotations

DEFAULT_CTX = 4096
"""Context length in tokens, when neither the user nor a model's settings give one."""

DEFAULT_BATCH = 512
"""Prompt tokens llama.cpp evaluates per call (``n_batch``), llama-cpp-python's default."""

DRAFT_BATCH = 128
"""A draft model's ``n_batch`` (draft_model.py): it reads the conversation once, then a
token at a time, so a small batch keeps its compute buffer (batch x vocabulary) small."""

SERVER_TTL_S = 600.0
"""The API server unloads a model this long after its last request (``serve --ttl``)."""

SERVER_MAX_LOADED = 1
"""Models the API server keeps loaded at once (``serve --max-loaded``)."""

SERVER_QUEUE = 32
"""Requests that may wait for one of the API server's models (``serve --queue``)."""
