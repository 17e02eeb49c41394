"""The saved remote servers: mode 0600, keys never shown, names and URLs checked, and
NAME::MODEL_ID resolved to the server (without connecting)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_llm.core.remote.models import RemoteModelRef, is_remote, remote_plan, resolve_model
from desktop_llm.core.remote.store import RemoteStore, normalize_url, split_remote_name
from desktop_llm.errors import UserError


def test_add_list_remove_keeps_the_file_private(tmp_path: Path) -> None:
    store = RemoteStore(tmp_path / "config")
    server = store.add("gpu-box", "http://192.168.1.20:8000", "sk-secret-123")
    assert server.url == "http://192.168.1.20:8000/v1"
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert json.loads(store.path.read_text())["servers"][0]["api_key"] == "sk-secret-123"
    (only,) = store.servers()
    assert only.public() == {
        "name": "gpu-box",
        "url": "http://192.168.1.20:8000/v1",
        "api_key_set": True,
        "first_token_timeout_s": 120.0,
    }
    assert "sk-secret" not in repr(only)
    assert store.get("GPU-BOX").api_key == "sk-secret-123"
    with pytest.raises(UserError, match="exists"):
        store.add("gpu-box", "http://other:1")
    store.add("gpu-box", "https://other.example/api/v1", replace_existing=True)
    assert store.get("gpu-box").url == "https://other.example/api/v1"
    assert not store.get("gpu-box").has_key
    store.remove("gpu-box")
    assert store.servers() == []
    with pytest.raises(UserError, match="no remote server named 'gpu-box'"):
        store.get("gpu-box")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://host", "bad server URL"),
        ("localhost:8000", "bad server URL"),
        ("http://", "bad server URL"),
        ("http://host:99999", "bad port"),
        ("http://host/v1?x=1", "query"),
    ],
)
def test_bad_urls_are_refused(url: str, words: str) -> None:
    with pytest.raises(UserError, match=words):
        normalize_url(url)


def test_bad_names_and_timeouts_are_refused(tmp_path: Path) -> None:
    store = RemoteStore(tmp_path)
    for name in ("", "a::b", "has space", "-dash"):
        with pytest.raises(UserError, match="bad server name"):
            store.add(name, "http://h:1")
    with pytest.raises(UserError, match="timeout"):
        store.add("ok", "http://h:1", first_token_timeout_s=0)
    assert not store.path.exists()


def test_remote_names_resolve_without_connecting(tmp_path: Path) -> None:
    store = RemoteStore(tmp_path)
    store.add("box", "http://127.0.0.1:9/v1")
    assert split_remote_name("SmolLM2") is None
    assert split_remote_name("box::org/model:Q4") == ("box", "org/model:Q4")
    with pytest.raises(UserError, match="SERVER::MODEL_ID"):
        split_remote_name("box::")
    ref = resolve_model("box::org/model", library=None, remotes=store)  # type: ignore[arg-type]
    assert isinstance(ref, RemoteModelRef) and is_remote(ref)
    assert ref.name == str(ref.path) == "box::org/model"
    assert ref.model_id == "org/model" and ref.server is not None
    params, plan = remote_plan(ref, 4096)
    assert params.model_path == "box::org/model" and plan.fits and plan.ram_bytes == 0
    with pytest.raises(UserError, match="no remote server named 'nobox'"):
        resolve_model("nobox::m", library=None, remotes=store)  # type: ignore[arg-type]
