"""`desktop-llm scan` as a user runs it, on fake app folders under a temporary HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from desktop_llm.core.models.scan import ROOTS_ENV
from desktop_llm.paths import HOME_ENV
from tests.support.fake_apps import make_fake_apps

ROOT = Path(__file__).resolve().parents[2]


def cli(home: Path, user_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update({HOME_ENV: str(home), "HOME": str(user_home), "USERPROFILE": str(user_home)})
    for name in (ROOTS_ENV, "XDG_DATA_HOME", "XDG_CONFIG_HOME", "OLLAMA_MODELS", "HF_HOME"):
        env.pop(name, None)
    env.pop("HF_HUB_CACHE", None)
    return subprocess.run(
        [sys.executable, "-m", "desktop_llm", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=False,
    )


def test_scan_lists_then_registers_once(isolated_home: Path, tmp_path: Path) -> None:
    apps = make_fake_apps(tmp_path / "user")
    listed = cli(isolated_home, apps.home, "scan", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert sorted(r["source"] for r in rows) == ["hf-cache", "jan", "lmstudio", "ollama"]
    assert not any(r["registered"] for r in rows)
    assert {"path", "name", "source", "size", "quant", "registered"} <= set(rows[0])

    registered = cli(isolated_home, apps.home, "scan", "--register", "--json")
    assert registered.returncode == 0, registered.stderr
    assert all(r["registered"] for r in json.loads(registered.stdout))

    text = cli(isolated_home, apps.home, "scan", "--register")
    assert text.returncode == 0, text.stderr
    assert "tinyllama:1b" in text.stdout and "(registered)" in text.stdout
    models = cli(isolated_home, apps.home, "models", "--json")
    names = [m["name"] for m in json.loads(models.stdout)]
    assert {"SmolTiny", "jan-tiny", "tiny", "tinyllama:1b"} <= set(names)
    assert len(names) == len(set(names))
    assert apps.lmstudio.exists() and apps.ollama_blob.exists()
