"""The remote servers the user added: ``remotes.json`` in the config folder, mode 0600
(it holds API keys). Keys are never logged or printed; listings say whether one is set."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from desktop_llm.errors import UserError

logger = logging.getLogger(__name__)

REMOTES_FILE = "remotes.json"
DEFAULT_FIRST_TOKEN_TIMEOUT_S = 120.0
SEPARATOR = "::"
"""Between a server's name and a model id: ``NAME::MODEL_ID``."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


@dataclass(frozen=True)
class RemoteServer:
    """One OpenAI-compatible server. ``url`` is its base URL, ending in ``/v1``
    (added when the user gave only the host). ``first_token_timeout_s``: how long a
    reply may take to start before it is given up."""

    name: str
    url: str
    api_key: str = ""
    first_token_timeout_s: float = DEFAULT_FIRST_TOKEN_TIMEOUT_S

    @property
    def has_key(self) -> bool:
        return bool(self.api_key)

    def public(self) -> dict[str, Any]:
        """What may be shown: everything but the key."""
        return {
            "name": self.name,
            "url": self.url,
            "api_key_set": self.has_key,
            "first_token_timeout_s": self.first_token_timeout_s,
        }

    def __repr__(self) -> str:  # never the key, even in a traceback
        return f"RemoteServer(name={self.name!r}, url={self.url!r}, api_key_set={self.has_key})"


def check_name(name: str) -> str:
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise UserError.of(
            "bad server name {name!r}: use 1-40 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit",
            name=name,
        )
    return name


def normalize_url(url: str) -> str:
    """``http(s)://host[:port][/path]``, with ``/v1`` added when no path is given."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError.of(
            "bad server URL {url!r}: give http://HOST:PORT or https://HOST "
            "(for example http://192.168.1.20:8000/v1)",
            url=url,
        )
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise UserError.of("bad port in server URL {url!r}", url=url) from None
    if parts.query or parts.fragment:
        raise UserError.of("the server URL {url!r} must not have a query or fragment", url=url)
    return text if parts.path else text + "/v1"


class RemoteStore:
    """The saved servers. Each call reads the file again, so the window and a CLI
    command never work on stale copies."""

    def __init__(self, config_dir: Path) -> None:
        self.path = config_dir / REMOTES_FILE

    def servers(self) -> list[RemoteServer]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise UserError.of(
                "cannot read the remote servers in {path}: {reason}",
                path=self.path,
                reason=str(exc),
            ) from exc
        servers: list[RemoteServer] = []
        for item in data.get("servers", []) if isinstance(data, dict) else []:
            try:
                servers.append(
                    RemoteServer(
                        name=str(item["name"]),
                        url=str(item["url"]),
                        api_key=str(item.get("api_key") or ""),
                        first_token_timeout_s=float(
                            item.get("first_token_timeout_s", DEFAULT_FIRST_TOKEN_TIMEOUT_S)
                        ),
                    )
                )
            except (KeyError, TypeError, ValueError):
                logger.warning("ignoring a bad entry in %s", self.path)
        return servers

    def get(self, name: str) -> RemoteServer:
        for server in self.servers():
            if server.name.casefold() == name.casefold():
                return server
        known = ", ".join(s.name for s in self.servers())
        if not known:
            raise UserError.of(
                "no remote server named {name!r} (servers: none yet; "
                "add one with `desktop-llm remote add NAME URL`)",
                name=name,
            )
        raise UserError.of(
            "no remote server named {name!r} (servers: {known}; "
            "add one with `desktop-llm remote add NAME URL`)",
            name=name,
            known=known,
        )

    def add(
        self,
        name: str,
        url: str,
        api_key: str = "",
        first_token_timeout_s: float = DEFAULT_FIRST_TOKEN_TIMEOUT_S,
        *,
        replace_existing: bool = False,
    ) -> RemoteServer:
        name = check_name(name)
        if first_token_timeout_s <= 0:
            raise UserError.of("the first-token timeout must be above 0 seconds")
        server = RemoteServer(name, normalize_url(url), api_key.strip(), first_token_timeout_s)
        servers = self.servers()
        same = [s for s in servers if s.name.casefold() == name.casefold()]
        if same and not replace_existing:
            raise UserError.of("a remote server named {name!r} exists; remove it first", name=name)
        kept = [s for s in servers if s.name.casefold() != name.casefold()]
        self._write([*kept, server])
        logger.info("remote server %s added (%s)", name, server.url)
        return server

    def update(self, name: str, **changes: Any) -> RemoteServer:
        server = replace(self.get(name), **changes)
        self._write([server if s.name == server.name else s for s in self.servers()])
        return server

    def remove(self, name: str) -> RemoteServer:
        server = self.get(name)
        self._write([s for s in self.servers() if s.name != server.name])
        logger.info("remote server %s removed", server.name)
        return server

    def _write(self, servers: Sequence[RemoteServer]) -> None:
        text = json.dumps({"servers": [asdict(s) for s in servers]}, indent=2)
        tmp = self.path.with_name(self.path.name + ".tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            tmp.chmod(0o600)  # O_CREAT's mode doesn't apply to a file that was there
            tmp.replace(self.path)
        except OSError as exc:
            raise UserError.of(
                "cannot save the remote servers in {path}: {reason}",
                path=self.path,
                reason=exc.strerror or str(exc),
            ) from exc


def split_remote_name(spec: str) -> tuple[str, str] | None:
    """``NAME::MODEL_ID`` -> (NAME, MODEL_ID); None for anything else (a local model)."""
    name, sep, model_id = spec.partition(SEPARATOR)
    if not sep:
        return None
    if not name.strip() or not model_id.strip():
        raise UserError.of("bad remote model {spec!r}: write SERVER::MODEL_ID", spec=spec)
    return name.strip(), model_id.strip()
