"""The Hugging Face access token: HF_TOKEN, else the one saved in Settings.

The saved token lives in the config folder with mode 0600. It is only ever sent to
the Hub endpoint (see :mod:`desktop_llm.core.hub.client` and the downloader, which
never forwards it across a redirect).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

TOKEN_FILE = "hf_token"


def token_path(config_dir: Path) -> Path:
    return config_dir / TOKEN_FILE


def load_token(config_dir: Path) -> str | None:
    """HF_TOKEN from the environment (as huggingface_hub reads it), else the saved one."""
    env = os.environ.get("HF_TOKEN", "").strip()
    if env:
        return env
    try:
        saved = token_path(config_dir).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        logger.warning("cannot read the saved Hugging Face token: %s", exc)
        return None
    return saved or None


def save_token(config_dir: Path, token: str | None) -> None:
    """Save the token (mode 0600 from the start, never world-readable), or forget it."""
    path = token_path(config_dir)
    if not token or not token.strip():
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(path.name + ".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(token.strip())
            f.flush()
            os.fsync(f.fileno())
        tmp.chmod(0o600)  # O_CREAT's mode doesn't apply to an existing file
        tmp.replace(path)
    except OSError as exc:
        raise UserError.of(
            "cannot save the token in {path}: {reason}",
            path=path,
            reason=exc.strerror or str(exc),
        ) from exc
