"""Every per-user folder the app uses, from one place.

platformdirs gives the platform's usual folders for the application name
``desktop-llm``. ``DESKTOP_LLM_HOME`` (or ``--home``) redirects all of them under one
folder, for tests and portable installs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from desktop_llm import APP_NAME
from desktop_llm.errors import UserError

HOME_ENV = "DESKTOP_LLM_HOME"


@dataclass(frozen=True)
class AppPaths:
    """The app's folders. Create them with :meth:`ensure` before use."""

    data: Path
    config: Path
    cache: Path
    logs: Path

    @property
    def models(self) -> Path:
        return self.data / "models"

    @property
    def db(self) -> Path:
        return self.data / "chats.sqlite3"

    @property
    def settings_file(self) -> Path:
        return self.config / "settings.json"

    @property
    def lock_file(self) -> Path:
        """Held by the running GUI (QLockFile): one window per data folder."""
        return self.data / "desktop-llm.lock"

    @classmethod
    def under(cls, home: Path) -> AppPaths:
        home = home.expanduser().absolute()
        return cls(
            data=home / "data", config=home / "config", cache=home / "cache", logs=home / "logs"
        )

    @classmethod
    def default(cls, home: str | os.PathLike[str] | None = None) -> AppPaths:
        """The folders: ``home`` if given, else $DESKTOP_LLM_HOME, else platformdirs'."""
        chosen = home if home is not None else os.environ.get(HOME_ENV) or None
        if chosen is not None:
            return cls.under(Path(chosen))
        return cls(
            data=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
            config=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
            cache=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
            logs=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
        )

    def ensure(self) -> AppPaths:
        """Create every folder (mode 0700); a folder that can't be made is the user's to fix."""
        for folder in (self.data, self.models, self.config, self.cache, self.logs):
            try:
                folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise UserError.of(
                    "cannot create folder {path}: {reason}",
                    path=folder,
                    reason=exc.strerror or str(exc),
                ) from exc
            if not os.access(folder, os.W_OK):
                raise UserError.of("folder is not writable: {path}", path=folder)
        return self


def resources_dir() -> Path:
    """The ``resources/`` folder: inside the bundle when frozen (PyInstaller puts it
    next to the code), else at the top of the source tree."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle is not None:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"
