"""A UserError as the window shows it: in the window's language (issue 20).

Core raises its errors in English (the command line and the logs read them). An
error raised with ``UserError.of(template, **fields)`` also carries its text with
named fields; the window translates that text (context "Errors", extracted from the
code by ``tools/translations.py``) and fills in the values, themselves translated when
they are one of the errors' own phrases ("the disk is full") or an error wrapped in
this one. Anything else is shown as it is.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop_llm.core.hardware.planner import Described, Plan
from desktop_llm.errors import UserError

translate = QCoreApplication.translate


def error_text(exc: UserError) -> str:
    """``exc``'s message in the window's language (its English when it has no template
    or no translation)."""
    if exc.template is None:
        return translate("Errors", exc.message)
    fields = {name: core_text(value) for name, value in exc.fields.items()}
    return _filled(exc.template, fields, exc.message)


def core_text(value: object) -> object:
    """A value in the window's language: an error (one wrapped in another: "chats.json:
    <why>") or one of the errors' own phrases; anything else as it is."""
    if isinstance(value, UserError):
        return error_text(value)
    if isinstance(value, Described):  # a plan's description: its parts translated
        return plan_text(value.plan)
    if isinstance(value, str):
        return translate("Errors", value)
    return value


def plan_text(plan: Plan) -> str:
    """How a model would load (``Plan.description``) in the window's language: each of
    its parts translated ("all 30 layers on the GPU"; "needs 9.1 GB of RAM, ...")."""
    if not plan.phrases:
        return plan.description
    joined = "; ".join(
        _filled(phrase.template, dict(phrase.fields), phrase.text()) for phrase in plan.phrases
    )
    if plan.fits:
        return joined
    return translate("Errors", "will not fit: {problems}").format(problems=joined)


def _filled(template: str, fields: dict[str, object], english: str) -> str:
    """``template`` translated with ``fields`` filled in; ``english`` when the
    translation names fields the text doesn't have."""
    try:
        return translate("Errors", template).format(**fields)
    except (KeyError, IndexError, ValueError):
        return english
