"""AppPaths: one variable redirects every folder; folders are private; a folder that
can't be made is the user's to fix (UserError), not a crash."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from desktop_llm.errors import UserError
from desktop_llm.paths import HOME_ENV, AppPaths


def _folders(paths: AppPaths) -> list[Path]:
    return [paths.data, paths.models, paths.config, paths.cache, paths.logs]


def test_desktop_llm_home_redirects_every_folder(isolated_home: Path) -> None:
    assert os.environ[HOME_ENV] == str(isolated_home)
    paths = AppPaths.default()
    for path in [*_folders(paths), paths.db, paths.settings_file]:
        assert path.is_relative_to(isolated_home), path
    assert paths.db.name == "chats.sqlite3"
    assert paths.settings_file.name == "settings.json"
    assert paths.models.parent == paths.data


def test_an_explicit_home_wins_over_the_variable(tmp_path: Path) -> None:
    paths = AppPaths.default(tmp_path / "portable")
    assert all(p.is_relative_to(tmp_path / "portable") for p in _folders(paths))


def test_without_the_variable_the_platform_folders_are_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(HOME_ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    paths = AppPaths.default()
    assert paths.data == tmp_path / "xdg-data" / "desktop-llm"
    assert paths.config == tmp_path / "xdg-config" / "desktop-llm"


def test_an_empty_variable_is_ignored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(HOME_ENV, "")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    assert AppPaths.default().data == tmp_path / "xdg-data" / "desktop-llm"


def test_ensure_creates_every_folder_private(isolated_home: Path) -> None:
    old = os.umask(0o022)
    try:
        paths = AppPaths.default().ensure()
    finally:
        os.umask(old)
    for folder in _folders(paths):
        assert folder.is_dir()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert paths.ensure() == paths  # twice is fine


def test_a_folder_that_cannot_be_made_is_a_user_error(tmp_path: Path) -> None:
    blocker = tmp_path / "home"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(UserError, match="cannot create folder"):
        AppPaths.under(blocker).ensure()


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder_is_a_user_error(tmp_path: Path) -> None:
    home = tmp_path / "home"
    paths = AppPaths.under(home).ensure()
    paths.config.chmod(0o500)
    try:
        with pytest.raises(UserError, match="not writable"):
            paths.ensure()
    finally:
        paths.config.chmod(0o700)


def test_an_unwritable_parent_is_a_user_error(tmp_path: Path) -> None:
    # /proc refuses new folders even to root
    with pytest.raises(UserError, match="cannot create folder /proc/"):
        AppPaths.under(Path("/proc/desktop-llm-test")).ensure()
