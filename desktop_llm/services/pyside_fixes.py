"""Workarounds for PySide6 bugs, installed once at start-up by app.py (and by the GUI
tests' conftest), never as a side effect of an import."""

from __future__ import annotations

import ctypes
import logging
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

logger = logging.getLogger(__name__)


class _Probe(QObject):
    ping = Signal()


def fix_emit_refcount() -> bool:
    """Work around PySide6 6.12's ``SignalInstance.emit``, which returns ``True`` without
    taking a reference to it: every ``emit()`` from Python drops one reference to
    ``True``, and after a few hundred (one streamed reply) Python 3.11 aborts with
    "Fatal Python error: bool_dealloc". The wrapper gives the reference back. Installed
    only when the bug shows (checked once); returns whether it was installed."""
    original = SignalInstance.emit
    if getattr(original, "_refcount_fixed", False):
        return True
    probe = _Probe()
    emits = 64
    before = sys.getrefcount(True)
    for _ in range(emits):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    if lost < emits // 2:
        return False
    for _ in range(lost):  # give back what the probe took
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))

    def emit(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        if isinstance(result, bool):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
        return result

    emit._refcount_fixed = True  # type: ignore[attr-defined]
    SignalInstance.emit = emit  # type: ignore[method-assign]
    logger.info("PySide6 emit() refcount workaround installed")
    return True
