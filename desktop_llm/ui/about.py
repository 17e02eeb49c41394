"""The About box and the first-run welcome text.

The About box shows the app's version and the engine's version and backend. The
engine is asked in a short-lived worker process (about a second, longer on a busy
machine), so the question runs in the background (services/background.py) and the box
fills in when the answer arrives; the answer is kept for the rest of the session.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal, qVersion
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from desktop_llm import APP_NAME, __version__
from desktop_llm.services.background import Background

translate = QCoreApplication.translate

logger = logging.getLogger(__name__)

EngineInfo = dict[str, Any]
EngineProbe = Callable[[], EngineInfo]


class EngineInfoLoader(QObject):
    """Runs the engine probe once, off the GUI thread, and keeps the answer.

    Signals:
        ready(dict): the probe's answer (version, backend, gpu_offload, system_info).
        bugOccurred(str): the probe itself failed unexpectedly (a traceback).
    """

    ready = Signal(object)
    bugOccurred = Signal(str)

    def __init__(self, probe: EngineProbe | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._probe = probe
        self._background = Background(self._unreachable, self.bugOccurred.emit, self)
        self._asked = False
        self.info: EngineInfo | None = None if probe is not None else {}

    def request(self) -> None:
        """Start the probe unless it has run or is running; ``ready`` fires once done."""
        if self.info is not None:
            self.ready.emit(self.info)
            return
        if not self._asked:
            self._asked = True
            self._background.run(self._ask, self._answered, name="engine-probe")

    def _ask(self) -> EngineInfo:
        assert self._probe is not None
        try:
            return self._probe()
        except Exception as exc:  # an engine that can't start is an answer: shown in the box
            logger.exception("engine probe failed")
            return {"version": None, "backend": "unknown", "system_info": str(exc)}

    def _answered(self, info: EngineInfo) -> None:
        self.info = info
        self.ready.emit(info)

    @staticmethod
    def _unreachable(message: str) -> None:
        logger.error("engine probe: %s", message)  # _ask turns every failure into info


def engine_line(info: EngineInfo | None) -> str:
    """One line for the About box: 'llama-cpp-python 0.3.36 · backend CPU'."""
    if info is None:
        return translate("AboutDialog", "checking the engine…")
    if not info:
        return translate("AboutDialog", "not checked")
    version = info.get("version")
    backend = str(info.get("backend") or "unknown")
    if version is None:
        # The engine's own words (its error) stay as it wrote them.
        detail = info.get("system_info") or translate("AboutDialog", "the engine could not start")
        return translate("AboutDialog", "not available ({detail})").format(detail=detail)
    line = translate("AboutDialog", "llama-cpp-python {version} (llama.cpp) · backend {backend}")
    return line.format(version=version, backend=backend.upper())


class AboutDialog(QDialog):
    """Version, engine version and backend; fills in the engine line when it is known."""

    def __init__(self, loader: EngineInfoLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(translate("AboutDialog", "About {app}").format(app=APP_NAME))
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setWordWrap(True)
        self.text.setMinimumWidth(380)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.show_engine(loader.info)
        loader.ready.connect(self.show_engine)
        loader.request()

    def show_engine(self, info: EngineInfo | None) -> None:
        self.engine_text = engine_line(info)
        self.text.setText(
            translate(
                "AboutDialog",
                "<h3>{app} {version}</h3>"
                "<p>Chat with open language models on your own computer, offline.</p>"
                "<p><b>Engine:</b> {engine}<br>"
                "<b>Qt:</b> {qt}</p>",
            ).format(
                app=APP_NAME,
                version=__version__,
                engine=html.escape(self.engine_text),
                qt=qVersion(),
            )
        )


def welcome_html(has_models: bool) -> str:
    """The first-run text shown in the empty chat area."""
    if has_models:
        start = translate(
            "AboutDialog",
            "<p><b>Start chatting:</b> a small starter model (SmolLM2-135M-Instruct) is "
            "selected above. Type a message below and press Enter. It is tiny and fast, "
            "not very clever: try a bigger model when you want better answers.</p>",
        )
    else:
        start = translate(
            "AboutDialog",
            "<p><b>Get a first model:</b> open <i>Models &gt; Find models…</i> and search for "
            "<i>SmolLM2-135M-Instruct</i>, a small starter model (about 100 MB) that runs "
            "on any computer. Have a <code>.gguf</code> file already? Use "
            "<i>File &gt; Import model…</i> or drop it on this window.</p>",
        )
    # The paragraph that fits (a model or none) goes in as a whole: no sentence is glued.
    return translate(
        "AboutDialog",
        "<h2>Welcome to {app}</h2>"
        "<p>Chat with open language models on your own computer. Once a model is "
        "downloaded, everything runs offline: your chats stay on this computer.</p>"
        "{start}"
        "<p><b>Find more models</b> on Hugging Face with <i>Models &gt; Find models…</i>: "
        "it shows which files fit your computer's memory before you download. "
        "From a terminal: <code>desktop-llm search QUERY</code>, then "
        "<code>desktop-llm pull REPO</code>.</p>",
    ).format(app=APP_NAME, start=start)
