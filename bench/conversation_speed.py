"""Opening a 10,000-message conversation, and appending one message to it, in the real
main window (offscreen): time to the first painted page and time to append."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.common import Row, median

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

N_MESSAGES = 10_000
REPLY = (
    "Here is a short answer with **bold** text and a list:\n\n- one\n- two\n\n"
    "```python\nprint('hello')\n```\n"
)


def run(repeats: int = 5) -> list[Row]:
    from PySide6.QtWidgets import QApplication

    from desktop_llm.app import build_services
    from desktop_llm.paths import AppPaths
    from desktop_llm.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    with tempfile.TemporaryDirectory() as home:
        paths = AppPaths.under(Path(home)).ensure()
        services = build_services(paths)
        chats = services.chats
        big = chats.create_conversation("10,000 messages")
        parent = None
        for i in range(N_MESSAGES):
            role = "user" if i % 2 == 0 else "assistant"
            text = f"Question number {i}?" if role == "user" else REPLY
            parent = chats.add_message(
                big.id,
                parent,
                role,
                text,
                stats={"completion_tokens": 20, "gen_tps": 60.0, "ttft_s": 0.1},
            ).id
        small = chats.create_conversation("small")
        chats.add_message(small.id, None, "user", "hi")
        window = MainWindow(services.service, services.library_service)
        window.resize(1200, 800)
        window.show()
        app.processEvents()
        open_times: list[float] = []
        append_times: list[float] = []
        for _ in range(repeats):
            window.open_conversation(small.id)
            app.processEvents()
            started = time.perf_counter()
            window.open_conversation(big.id)
            window.chat.viewport().repaint()
            app.processEvents()
            open_times.append((time.perf_counter() - started) * 1000)
            message = chats.add_message(big.id, parent, "user", "one more question")
            started = time.perf_counter()
            window.chat.add_message(message)
            window.chat.viewport().repaint()
            app.processEvents()
            append_times.append((time.perf_counter() - started) * 1000)
        window.close()
        services.service.shutdown()
        services.conn.close()
    return [
        Row(
            f"Open a {N_MESSAGES:,}-message conversation: first painted page (ms)",
            median(open_times),
            "ms",
            target="< 150 ms",
            met=median(open_times) < 150,
            detail={"runs": open_times},
        ),
        Row(
            "Append one message to it (ms)",
            median(append_times),
            "ms",
            target="< 10 ms",
            met=median(append_times) < 10,
            detail={"runs": append_times},
        ),
    ]


if __name__ == "__main__":
    for row in run():
        print(row.name, round(row.value, 1), row.met, row.detail)
