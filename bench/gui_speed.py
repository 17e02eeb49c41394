"""GUI responsiveness while streaming, and cold start to an idle main window.

Both drive the real app (``desktop_llm.app.run_gui``) offscreen: timers are scheduled
on a QApplication created first, which run_gui then uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Row, median, smollm2, spread

STALL_SCRIPT = r"""
import json, sys, time
from dataclasses import replace
from pathlib import Path
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from desktop_llm.app import run_gui
from desktop_llm.core.models.library import ModelLibrary
from desktop_llm.paths import AppPaths
from desktop_llm.storage import ModelRepository, connect


def main():

    model_path, max_tokens = Path(sys.argv[1]), int(sys.argv[2])
    paths = AppPaths.default().ensure()
    conn = connect(paths.db)
    model_id = ModelLibrary(ModelRepository(conn), paths.models).import_file(model_path).id
    conn.close()
    app = QApplication([])
    late, state = [], {"last": None, "tokens": 0, "stats": None}

    def tick():
        now = time.perf_counter()
        if state["last"] is not None and state.get("streaming"):
            late.append(max(0.0, (now - state["last"]) * 1000 - 16))
        state["last"] = now

    def start():
        window = next(w for w in app.topLevelWidgets() if hasattr(w, "composer"))
        service = window.service
        window.select_model(model_id)
        window.new_conversation()
        window.settings_panel.max_tokens.setValue(max_tokens)
        window.settings_panel.temperature.setValue(1.0)
        window.settings_panel.repeat_penalty.setValue(1.0)
        # run to max tokens: the tiny random model would otherwise stop after a few hundred
        service.update_conversation(
            window.conversation_id,
            settings=replace(window.settings_panel.current(), ignore_eos=True),
        )
        def finished(reply):
            state["streaming"] = False
            state["stats"] = reply.stats
            window.close()
        def chunk(_id, _text):
            state["streaming"] = True
        service.replyChunk.connect(chunk)
        service.replyFinished.connect(finished)
        window.composer.setPlainText("Tell me a very long story.")
        window.send_current()

    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(tick)
    timer.start()
    QTimer.singleShot(200, start)
    run_gui(AppPaths.default().ensure())
    late.sort()
    p = lambda q: late[min(len(late) - 1, int(q * len(late)))] if late else 0.0
    print(json.dumps({"p50": p(0.5), "p99": p(0.99), "max": late[-1] if late else 0.0,
                      "samples": len(late), "stats": state["stats"]}))


if __name__ == "__main__":
    main()
"""

COLD_SCRIPT = r"""
import json, sys, time


def main():
    mode, started = sys.argv[1], float(sys.argv[2])  # the parent's clock as it launched us
    result = {}

    def idle():
        from PySide6.QtWidgets import QApplication

        result["s"] = time.time() - started
        result["llama_cpp_imported"] = "llama_cpp" in sys.modules
        for w in QApplication.topLevelWidgets():
            w.close()
        QApplication.quit()

    if mode == "app":
        # What the `desktop-llm` command runs (desktop_llm.cli:main, no arguments: the
        # window), in its order: the CLI and the core first, then Qt. A probe in the
        # QApplication it makes stops it once the window is idle.
        from desktop_llm.cli import main as desktop_llm
        import desktop_llm.app as app_module
        from PySide6.QtCore import QTimer

        make = app_module._application

        def application():
            app = make()
            QTimer.singleShot(0, lambda: QTimer.singleShot(0, idle))
            return app

        app_module._application = application
        del sys.argv[1:]
        desktop_llm()
    else:
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication, QMainWindow

        app = QApplication([])
        window = QMainWindow()
        window.show()
        QTimer.singleShot(0, lambda: QTimer.singleShot(0, idle))
        app.exec()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
"""


def _run(
    script: str, *args: str, home: Path, stamp: bool = False, pycache: Path | None = None
) -> dict[str, object]:
    """Run ``script`` in a fresh Python; ``stamp`` passes it the wall clock at launch
    as its last argument (the cold start's zero); ``pycache``: the compiled modules'
    folder (PYTHONPYCACHEPREFIX), written by the first run and read by the next."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
        "DESKTOP_LLM_HOME": str(home),
        "PYTHONPATH": str(ROOT),
    }
    if pycache is not None:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    # A file, not -c: the engine's spawned worker re-imports the main module.
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(script)
    try:
        if stamp:
            args = (*args, repr(time.time()))
        out = subprocess.run(
            [sys.executable, handle.name, *args],
            env=env,
            text=True,
            capture_output=True,
            timeout=600,
            check=False,
        )
    finally:
        Path(handle.name).unlink()
    if out.returncode != 0:
        raise RuntimeError(f"bench script failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def stall(model: Path, max_tokens: int, label: str) -> Row:
    with tempfile.TemporaryDirectory() as home:
        data = _run(STALL_SCRIPT, str(model), str(max_tokens), home=Path(home))
    stats = data.get("stats") or {}
    assert isinstance(stats, dict)
    worst, p99, p50 = (float(data[k]) for k in ("max", "p99", "p50"))  # type: ignore[arg-type]
    return Row(
        f"GUI event-loop stall while streaming {stats.get('completion_tokens')} tokens "
        f"({label}): max ms (p99 {p99:.1f}, p50 {p50:.1f})",
        worst,
        "ms",
        target="p99 < 30 ms, max < 50 ms",
        met=worst < 50.0 and p99 < 30.0,
        detail=data,
    )


def cold_start(repeats: int = 5) -> Row:
    app_times: list[float] = []
    bare_times: list[float] = []
    imported = False
    with tempfile.TemporaryDirectory() as home:
        # Compiled modules, as an installed app has them (pip compiles on install,
        # PyInstaller ships .pyc): a checkout run with PYTHONDONTWRITEBYTECODE=1 (set on
        # this machine) compiles all ~150 of ours at every start, ~0.13 s.
        pycache = Path(home) / "pycache"
        for mode in ("app", "bare"):  # creates the database, compiles both
            _run(COLD_SCRIPT, mode, home=Path(home), stamp=True, pycache=pycache)
        for _ in range(repeats):
            # From the launch, timed by the parent: psutil's create_time() counts from
            # the boot time Linux gives in whole seconds (/proc/stat btime), up to 1 s early.
            app = _run(COLD_SCRIPT, "app", home=Path(home), stamp=True, pycache=pycache)
            bare = _run(COLD_SCRIPT, "bare", home=Path(home), stamp=True, pycache=pycache)
            app_times.append(float(app["s"]))  # type: ignore[arg-type]
            bare_times.append(float(bare["s"]))  # type: ignore[arg-type]
            imported = imported or bool(app["llama_cpp_imported"])
    value, bare_value = median(app_times), median(bare_times)
    return Row(
        "Cold start of `desktop-llm` to an idle main window (s)",
        value,
        "s",
        bare_value,
        "bare PySide6 window",
        "< 1.5 s and <= 2x a bare window, llama_cpp not imported",
        value < 1.5 and value <= 2 * bare_value and not imported,
        {
            "app": app_times,
            "bare": bare_times,
            "spread": spread(app_times),
            "llama_cpp_imported": imported,
        },
    )


def run() -> list[Row]:
    from tests.support.gguf_builder import write_tiny_llama

    rows = [cold_start()]
    rows.append(stall(smollm2(), 1000, "SmolLM2"))
    with tempfile.TemporaryDirectory() as tmp:
        tiny = write_tiny_llama(Path(tmp) / "tiny.gguf", ctx=4096)
        started = time.perf_counter()
        rows.append(stall(tiny, 2000, "tiny random-weight model, several hundred tok/s"))
        rows[-1].detail["wall_s"] = time.perf_counter() - started
    return rows


if __name__ == "__main__":
    # Run alone: ``python -m bench.gui_speed`` (writes bench/results/gui_speed.json).
    from bench.common import RESULTS, print_rows, write_json

    rows = run()
    print_rows(rows)
    print(f"written to {write_json(RESULTS / 'gui_speed.json', rows, [])}")
