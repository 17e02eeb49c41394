"""Screenshots of the real window for the README: the chat, the Compare tab and the
Models window, light and dark (issue 16), and in Spanish (issue 20: ``--language es``
writes ``*-es.png``). ``make screenshots`` retakes them after a change to the window.

It runs the app's own window and services on a scratch data folder with the starter
model, sends real prompts through the real engine, and saves what Qt draws
(``QWidget.grab``) into docs/screenshots/. It runs offscreen (no display needed); set
QT_QPA_PLATFORM=xcb to watch it on a real display instead.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QEventLoop, QTimer, SignalInstance  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from desktop_llm.app import build_services  # noqa: E402
from desktop_llm.core.chat.conversation import ChatSettings  # noqa: E402
from desktop_llm.core.settings import Settings, save_settings  # noqa: E402
from desktop_llm.paths import AppPaths  # noqa: E402
from desktop_llm.ui.language import install_language, remove_language  # noqa: E402
from desktop_llm.ui.theme import apply_theme  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
SIZE = (1280, 800)
PROMPTS = {
    "en": (
        "Write a Python function that reverses a string, with one sentence on how it works.",
        "Name three colours of the sea.",
    ),
    "es": (
        "Escribe una función de Python que invierta una cadena, con una frase que explique cómo.",
        "Di tres colores del mar.",
    ),
}


def wait_for(signal: SignalInstance, timeout_s: float = 300) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def settle(ms: int = 300) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def save(widget: QWidget, name: str) -> Path:
    settle()
    path = OUT / f"{name}.png"
    widget.grab().save(str(path))
    print(path.relative_to(ROOT))
    return path


def main(argv: list[str]) -> int:
    language = argv[argv.index("--language") + 1] if "--language" in argv else "en"
    suffix = "" if language == "en" else f"-{language}"
    chat_prompt, compare_prompt = PROMPTS.get(language, PROMPTS["en"])
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    translators = install_language(app, language)
    with tempfile.TemporaryDirectory(prefix="desktop-llm-shots-") as home:
        paths = AppPaths.under(Path(home)).ensure()
        quick = ChatSettings(temperature=0.0, seed=7, max_tokens=160)
        save_settings(paths.settings_file, Settings(default_chat=quick.to_dict()))
        parts = build_services(paths)
        window = parts.main_window()
        try:
            apply_theme(app, "light")
            window.resize(*SIZE)
            window.show()
            window.new_conversation()
            window.composer.setPlainText(chat_prompt)
            window.send_current()
            wait_for(parts.service.replyFinished)
            tab = window.compare_tab
            assert tab is not None
            window.tabs.setCurrentWidget(tab)
            tab.prompt.setPlainText(compare_prompt)
            tab.run_button.click()
            wait_for(parts.compare.runFinished)
            window.show_models()
            models = window._models_window
            assert models is not None
            models.resize(1100, 700)
            for theme in ("light", "dark"):
                apply_theme(app, theme)
                window.tabs.setCurrentIndex(0)
                save(window, f"chat-{theme}{suffix}")
                window.tabs.setCurrentWidget(tab)
                save(window, f"compare-{theme}{suffix}")
                save(models, f"models-{theme}{suffix}")
            models.close()
        finally:
            window.close()
            parts.service.shutdown()
            app.processEvents()
            parts.close()
            remove_language(app, translators)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
