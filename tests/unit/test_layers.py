"""The layering rule import-linter can't express: services/ use only QtCore from Qt."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import desktop_llm

PACKAGE = Path(desktop_llm.__file__).parent


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_services_use_qtcore_only() -> None:
    offenders = {}
    for path in (PACKAGE / "services").glob("*.py"):
        qt = {n for n in _imports(path) if n.startswith("PySide6") and n != "PySide6.QtCore"}
        if qt:
            offenders[path.name] = qt
    assert offenders == {}


def test_gui_process_modules_never_import_llama_cpp_at_module_level() -> None:
    # The worker imports llama_cpp inside its entry function only, so importing the
    # worker module (the host does, for the spawn target) doesn't load llama.cpp.
    tree = ast.parse((PACKAGE / "core/engine/worker.py").read_text(encoding="utf-8"))
    top_level = {n.names[0].name for n in tree.body if isinstance(n, ast.Import)}
    top_level |= {n.module or "" for n in tree.body if isinstance(n, ast.ImportFrom)}
    assert not any(name.startswith("llama_cpp") for name in top_level)


def test_the_app_side_of_the_engine_never_loads_llama_cpp() -> None:
    # The host names the worker's entry points, so the app imports worker.py; the
    # worker-side modules (loader, generation, ...) import llama_cpp, in the worker only.
    code = (
        "import sys\n"
        "import desktop_llm.core.engine.host, desktop_llm.core.engine.session\n"
        "import desktop_llm.core.chat.conversation, desktop_llm.core.compare.comparison\n"
        "print('llama_cpp' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"


def test_the_window_starts_without_the_hubs_client_or_numpy(tmp_path: Path) -> None:
    """Issue 16: building every service the window starts with imports neither
    huggingface_hub (~170 ms; made when the Hub is first used) nor numpy (~50 ms; the
    leaderboard's)."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from desktop_llm.app import build_services\n"
        "from desktop_llm.paths import AppPaths\n"
        f"parts = build_services(AppPaths.under(Path({str(tmp_path)!r})).ensure())\n"
        "print(sorted(m for m in ('huggingface_hub', 'numpy', 'llama_cpp') if m in sys.modules))\n"
        "parts.close()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[0] == "[]"


def test_the_window_opens_without_the_pages_it_builds_when_shown(tmp_path: Path) -> None:
    """Issue 16: the main window, as app.py makes it, imports neither the Compare and
    Library pages (with the charts) nor the dialogs and the Models window (made when
    opened), nor Markdown and Pygments (imported by the first rendering, or the warm-up
    once the window is up)."""
    deferred = (
        "PySide6.QtCharts",
        "desktop_llm.ui.compare_tab",
        "desktop_llm.ui.library_page",
        "desktop_llm.ui.models_window",
        "desktop_llm.ui.settings_window",
        "desktop_llm.ui.server_dialog",
        "desktop_llm.ui.benchmark_dialog",
        "markdown",
        "pygments",
    )
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from desktop_llm.app import build_services\n"
        "from desktop_llm.paths import AppPaths\n"
        "app = QApplication([])\n"
        f"parts = build_services(AppPaths.under(Path({str(tmp_path)!r})).ensure())\n"
        "window = parts.main_window()\n"
        "window.show()\n"
        "app.processEvents()\n"
        f"print(sorted(m for m in {deferred!r} if m in sys.modules))\n"
        "window.tabs.setCurrentIndex(1)\n"
        "print('desktop_llm.ui.compare_tab' in sys.modules)\n"
        "window.close()\n"
        "parts.close()\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[:2] == ["[]", "True"]
