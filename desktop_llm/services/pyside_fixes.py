"""Workarounds for PySide6 bugs, installed once at start-up by app.py (and by the GUI
tests' conftest), never as a side effect of an import."""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal, SignalInstance

logger = logging.getLogger(__name__)


class _Probe(QObject):
    ping = Signal()


def _noop() -> None:
    pass


def _probes() -> dict[str, Callable[[_Probe], object]]:
    """One call of each SignalInstance method that may return a bool without a reference."""

    def disconnect(probe: _Probe) -> object:
        probe.ping.connect(_noop)
        return probe.ping.disconnect(_noop)

    return {"emit": lambda probe: probe.ping.emit(), "disconnect": disconnect}


def fix_emit_refcount() -> bool:
    """Work around PySide6 6.12's ``SignalInstance.emit`` and ``.disconnect``, which
    return ``True`` without taking a reference to it: every call from Python drops one
    reference to ``True``, and after a few hundred (one streamed reply; a long test run's
    waits on signals) Python 3.11 aborts with "Fatal Python error: bool_dealloc". A
    wrapper gives the reference back. Each method is wrapped only when the bug shows
    (checked once); returns whether any wrapper was installed."""
    probe = _Probe()
    installed = False
    for name, call in _probes().items():
        original = getattr(SignalInstance, name)
        if getattr(original, "_refcount_fixed", False):
            installed = True
            continue
        calls = 64
        before = sys.getrefcount(True)
        for _ in range(calls):
            call(probe)
        lost = before - sys.getrefcount(True)
        if lost < calls // 2:
            continue
        for _ in range(lost):  # give back what the probe took
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
        setattr(SignalInstance, name, _returning_a_reference(original))
        logger.info("PySide6 %s() refcount workaround installed", name)
        installed = True
    return installed


def skip_feature_scan() -> bool:
    """Stop PySide6 from reading the source of every module imported after it.

    PySide6 replaces ``__import__`` with a hook for its ``from __feature__ import
    snake_case, true_property`` switches. After each module's first import the hook
    reads that module's whole source file (``inspect.getsource``) to see whether it
    says "PySide6" (shibokensupport/feature.py's ``feature_imported``). That costs about
    0.1 ms a module, some 30 ms of the window's start-up over its ~250 modules, and the
    same again for each dialog's modules when it first opens (napari's issue 8584 found
    the same tax). This app never selects a feature, so every module is given what
    PySide6 gives its own users by default, "PySide6 without features", without the
    read. Returns whether the hook was found (another PySide6 is left as it is).

    Call it before importing the modules it should spare (``run_gui`` does, before
    app.py imports its services). Calling it again changes nothing.
    """
    feature = sys.modules.get("shibokensupport.feature")
    if not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = _uses_pyside_unread  # type: ignore[union-attr]
    return True


def _uses_pyside_unread(_module: object) -> bool:
    return True


def _returning_a_reference(original: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(self: SignalInstance, *args: Any) -> Any:
        result = original(self, *args)
        if isinstance(result, bool):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(result))
        return result

    wrapper._refcount_fixed = True  # type: ignore[attr-defined]
    return wrapper
