"""Settings > Saved chat states: the folder's size, its limit kept in Settings, Clear."""

from __future__ import annotations

from desktop_llm.core.engine.kv_cache_folder import kv_cache_dir
from desktop_llm.core.settings import load_settings
from desktop_llm.paths import AppPaths
from desktop_llm.ui.main_window import MainWindow


def test_the_dialog_shows_the_size_keeps_the_limit_and_clears(
    window: MainWindow, app_paths: AppPaths
) -> None:
    folder = kv_cache_dir()
    assert folder == app_paths.cache / "kv-states"  # DESKTOP_LLM_HOME decides
    folder.mkdir(parents=True)
    (folder / "a.kvstate").write_bytes(b"x" * 3 * 1024 * 1024)
    (folder / "a.json").write_text("{}")
    (folder / "notes.txt").write_text("not ours")

    dialog = window.show_saved_states()
    assert dialog.size_label.text() == "3.0 MB"
    assert dialog.limit.value() == 2048  # the default, 2 GB

    dialog.limit.setValue(512)
    dialog.limit.editingFinished.emit()
    assert load_settings(app_paths.settings_file).kv_cache_limit_mb == 512

    assert not dialog.clear_button.autoDefault()  # Enter in the limit doesn't clear
    asked: list[int] = []
    dialog.confirm = lambda size: asked.append(size) or False  # the user says no
    dialog.clear_button.click()
    assert asked and dialog.size_label.text() == "3.0 MB"
    dialog.confirm = lambda _size: True
    dialog.clear_button.click()
    assert dialog.size_label.text() == "0.0 MB"
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]
    dialog.close()
