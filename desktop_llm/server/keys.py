"""The server's API key: generated on first use, kept in the config folder with mode
0600 (written that way from the start, then renamed into place)."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

KEY_FILE = "server_api_key"
_PREFIX = "dllm-"


def key_path(config_dir: Path) -> Path:
    return config_dir / KEY_FILE


def new_key() -> str:
    """A fresh key: 256 random bits, URL-safe."""
    return _PREFIX + secrets.token_urlsafe(32)


def load_or_create_key(config_dir: Path) -> str:
    """The saved key, or a new one saved now."""
    path = key_path(config_dir)
    try:
        saved = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        saved = ""
    except OSError as exc:
        raise UserError(f"cannot read the API key in {path}: {exc.strerror or exc}") from exc
    if saved:
        if path.stat().st_mode & 0o077:
            logger.warning("the API key file %s was readable by others; now 0600", path)
            path.chmod(0o600)
        return saved
    return save_key(config_dir, new_key())


def regenerate_key(config_dir: Path) -> str:
    """Replace the saved key with a new one; clients with the old key are refused."""
    return save_key(config_dir, new_key())


def save_key(config_dir: Path, key: str) -> str:
    path = key_path(config_dir)
    tmp = path.with_name(path.name + ".tmp")
    try:
        config_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(key)
            f.flush()
            os.fsync(f.fileno())
        tmp.chmod(0o600)  # O_CREAT's mode doesn't apply to a file that was there
        tmp.replace(path)
    except OSError as exc:
        raise UserError(f"cannot save the API key in {path}: {exc.strerror or exc}") from exc
    logger.info("API key saved in %s", path)
    return key
