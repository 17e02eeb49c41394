"""Smoke tests of the frozen app and its Linux package (`make test-installer`).

They run what build/build.py made, named by the manifest in $DESKTOP_LLM_FROZEN
(dist/manifest.json), and are skipped without it: `make test` never runs a stale bundle
and stays independent of PyInstaller. Like qutebrowser's build_release.py smoke test:
the real program, as a user gets it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop_llm import APP_NAME, __version__

REPO = Path(__file__).resolve().parents[2]
FROZEN = os.environ.get("DESKTOP_LLM_FROZEN")
MANIFEST = REPO / FROZEN if FROZEN else None

pytestmark = [
    pytest.mark.skipif(MANIFEST is None, reason="no frozen build (make test-installer)"),
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux package checks"),
]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    assert MANIFEST is not None
    data: dict[str, Any] = json.loads(MANIFEST.read_text())
    assert data["version"] == __version__, "the build is stale: run make installer"
    return data


@pytest.fixture(scope="module")
def bundle(manifest: dict[str, Any]) -> Path:
    return Path(manifest["bundle"])


def run(
    args: list[str | Path], timeout: float = 300, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", **env},
    )


def test_frozen_gui_loads_a_model_in_a_worker_and_replies(bundle: Path, smollm2: Path) -> None:
    # The GUI process never imports llama_cpp: the reply proves that an engine worker was
    # spawned from the frozen executable (freeze_support) and found llama.cpp's libraries.
    # In Spanish (issue 20): the bundle carries the app's .qm files and Qt's qtbase_es.
    result = run(
        [bundle / APP_NAME, "gui", "--self-test", "--model", smollm2],
        timeout=600,
        LANG="es_ES.UTF-8",
        LC_ALL="",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    line = json.loads(result.stdout.strip().splitlines()[-1])
    assert line["ok"] is True
    assert line["language"] == "es" and line["send_button"].replace("&", "") == "Enviar"
    assert line["text"].strip()
    assert line["stats"]["completion_tokens"] > 0


def test_frozen_info_reports_the_engine(bundle: Path, manifest: dict[str, Any]) -> None:
    result = run([bundle / APP_NAME, "info", "--json"])
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["version"] == __version__
    assert info["engine"]["version"] == "0.3.36"  # the package metadata was bundled
    assert info["engine"]["backend"] == manifest["backend"]


def test_bundle_is_lean(bundle: Path) -> None:
    internal = bundle / "_internal"
    assert (internal / "resources" / "icons" / f"{APP_NAME}-256.png").is_file()
    assert list(internal.glob("hf_xet-*.dist-info")), "huggingface_hub needs hf_xet's metadata"
    assert list((internal / "llama_cpp" / "lib").glob("libllama.*"))
    for unwanted in (
        "tests",
        "bench",
        "gguf",
        "PySide6/QtNetwork.abi3.so",
        "PySide6/QtQml.abi3.so",
        "PySide6/Qt/lib/libQt6Quick.so.6",  # dragged in by Addons' on-screen keyboard plugin
    ):
        assert not (internal / unwanted).exists(), unwanted
    assert not list(internal.rglob("*.gguf")), "no model files in the bundle"
    size = sum(p.stat().st_size for p in bundle.rglob("*") if p.is_file() and not p.is_symlink())
    assert size < 300e6, f"bundle grew to {size / 1e6:.0f} MB"


def test_deb_installs_into_a_scratch_root(manifest: dict[str, Any], tmp_path: Path) -> None:
    deb = Path(manifest["deb"])
    root = tmp_path / "root"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    launcher = root / "usr" / "bin" / APP_NAME
    assert launcher.is_symlink() and not launcher.readlink().is_absolute()
    result = run([launcher, "--version"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{APP_NAME} {__version__}"
    desktop = (root / "usr/share/applications" / f"{APP_NAME}.desktop").read_text()
    assert f"Exec={APP_NAME}" in desktop and f"Icon={APP_NAME}" in desktop
    for size in (16, 48, 256, 512):
        assert (root / f"usr/share/icons/hicolor/{size}x{size}/apps/{APP_NAME}.png").is_file()
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(deb), "Package", "Version", "Depends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert f"Version: {__version__}" in fields
    assert "libxcb-cursor0" in fields and "libegl1" in fields


def test_tarball_holds_the_bundle(manifest: dict[str, Any]) -> None:
    import tarfile

    tarball = Path(manifest["tarball"])
    assert manifest["backend"] in tarball.name
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    top = tarball.name.removesuffix(".tar.gz")
    assert f"{top}/{APP_NAME}" in names


def test_frozen_serve_answers_models(bundle: Path, tmp_path: Path) -> None:
    # uvicorn picks its protocol modules by name at run time: the bundle must hold them.
    import re
    import signal
    import urllib.request

    process = subprocess.Popen(
        [str(bundle / APP_NAME), "--home", str(tmp_path), "serve", "--port", "0", "--no-auth"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    try:
        assert process.stdout is not None
        url = ""
        for line in process.stdout:
            match = re.search(r"API server: (http://\S+/v1)", line)
            if match:
                url = match.group(1)
                break
        assert url, process.stderr.read() if process.stderr else ""
        with urllib.request.urlopen(url + "/models", timeout=60) as response:
            body = json.loads(response.read())
        assert body["object"] == "list"
        process.send_signal(signal.SIGINT)
        assert process.wait(30) in (0, 130)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
