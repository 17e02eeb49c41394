"""Build the one-folder app with PyInstaller, then package it for this OS.

    .venv/bin/python build/build.py            # what `make installer` runs
    .venv/bin/python build/build.py --backend cuda --skip-bundle

Outputs go to dist/ (installers) and build/out/ (the bundle, PyInstaller's work folder):
- Linux: desktop-llm-VERSION-linux-ARCH-BACKEND.tar.gz and .deb (dpkg-deb). The .deb
  installs the bundle under /opt/desktop-llm, a launcher /usr/bin/desktop-llm (a
  relative symlink, so it also works from a `dpkg -x` scratch root), the desktop entry
  and hicolor icons.
- Windows: desktop-llm-VERSION-windows-x64-BACKEND-setup.exe from build/windows/
  desktop-llm.iss when Inno Setup's ISCC is on PATH.
- macOS: desktop-llm.app (the spec's BUNDLE) and desktop-llm-VERSION-macos-ARCH-BACKEND.dmg
  from build/macos/make_dmg.sh.

The backend (cpu, cuda, metal, vulkan) is the installed engine's, asked through a
short-lived engine worker; BACKEND=... in the environment or --backend overrides it.
dist/manifest.json lists what was built, for the smoke test (tests/frozen).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from desktop_llm import APP_NAME, __version__  # noqa: E402 - the version's one place

OUT = ROOT / "build" / "out"
BUNDLE_PARENT = OUT / "bundle"
DIST = ROOT / "dist"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)

# Qt's runtime needs (REFERENCE.md, PySide6): the offscreen set plus what a real xcb
# window needs; alternatives cover the t64 library renames (Debian 13, Ubuntu 24.04).
DEB_DEPENDS = [
    "libegl1",
    "libgl1",
    "libxkbcommon0",
    "libfontconfig1",
    "libglib2.0-0t64 | libglib2.0-0",
    "libdbus-1-3",
    "libxcb-cursor0",
    "libxkbcommon-x11-0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "fonts-dejavu-core | fonts-freefont-ttf | fonts-liberation",
]


def log(message: str) -> None:
    print(f"[build] {message}", flush=True)


def detect_backend() -> str:
    """The engine's backend: $BACKEND, else what the installed llama.cpp was built with."""
    chosen = os.environ.get("BACKEND", "").strip().lower()
    if chosen:
        return chosen
    from desktop_llm.core.engine.host import probe_engine

    with tempfile.TemporaryDirectory() as logs:
        info = probe_engine(Path(logs))
    backend = str(info.get("backend") or "unknown")
    if info.get("version") is None:
        raise SystemExit(f"the engine does not start: {info.get('system_info')}")
    return backend


def machine() -> str:
    arch = platform.machine().lower()
    return {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        arch, arch
    )


def build_bundle() -> Path:
    log("PyInstaller: building the one-folder app")
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(BUNDLE_PARENT),
            "--workpath",
            str(OUT / "work"),
            str(ROOT / "installer.spec"),
        ],
        check=True,
        cwd=ROOT,
    )
    bundle = BUNDLE_PARENT / APP_NAME
    if sys.platform.startswith("linux"):
        strip_libraries(bundle)
    log(f"bundle: {bundle} ({folder_size(bundle) / 1e6:.0f} MB, {time.monotonic() - started:.0f} s)")
    return bundle


def strip_libraries(bundle: Path) -> None:
    """Drop symbol tables and debug info from the shared libraries (about 30 MB).

    Not PyInstaller's strip=True: it also strips the libraries that auditwheel repaired
    (``*.libs/``, e.g. numpy's OpenBLAS), and those then fail to load ("ELF load command
    address/offset not page-aligned"). Not the executable either: its archive is appended.
    """
    strip = shutil.which("strip")
    if strip is None:
        log("strip not found: the bundle keeps its symbols")
        return
    before = folder_size(bundle)
    libraries = [
        p
        for p in (bundle / "_internal").rglob("*.so*")
        if p.is_file()
        and not p.is_symlink()
        and not any(part.endswith(".libs") for part in p.parts)
    ]
    for chunk in range(0, len(libraries), 200):
        subprocess.run(
            [strip, "--strip-unneeded", *map(str, libraries[chunk : chunk + 200])], check=True
        )
    log(f"stripped {len(libraries)} libraries: {(before - folder_size(bundle)) / 1e6:.0f} MB less")


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# ---- Linux ---------------------------------------------------------------------------


def package_linux(bundle: Path, backend: str) -> dict[str, str]:
    stem = f"{APP_NAME}-{__version__}-linux-{machine()}-{backend}"
    tarball = DIST / f"{stem}.tar.gz"
    log(f"writing {tarball.name}")
    with tarfile.open(tarball, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=stem)
    deb = DIST / f"{stem}.deb"
    build_deb(bundle, deb, backend)
    return {"tarball": str(tarball), "deb": str(deb)}


def build_deb(bundle: Path, deb: Path, backend: str) -> None:
    log(f"writing {deb.name}")
    root = OUT / "deb-root"
    shutil.rmtree(root, ignore_errors=True)
    opt = root / "opt" / APP_NAME
    shutil.copytree(bundle, opt, symlinks=True)
    usr_bin = root / "usr" / "bin"
    usr_bin.mkdir(parents=True)
    # Relative: resolves to /opt/desktop-llm/desktop-llm when installed, and inside a
    # scratch root extracted with `dpkg -x` too. PyInstaller's bootloader follows the
    # link (/proc/self/exe) to find _internal/.
    (usr_bin / APP_NAME).symlink_to(Path("..", "..", "opt", APP_NAME, APP_NAME))
    share = root / "usr" / "share"
    (share / "applications").mkdir(parents=True)
    shutil.copy2(ROOT / "resources" / f"{APP_NAME}.desktop", share / "applications")
    icons = ROOT / "resources" / "icons"
    for size in ICON_SIZES:
        target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True)
        shutil.copy2(icons / f"{APP_NAME}-{size}.png", target / f"{APP_NAME}.png")
    scalable = share / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy2(icons / f"{APP_NAME}.svg", scalable / f"{APP_NAME}.svg")
    debian = root / "DEBIAN"
    debian.mkdir()
    installed_kb = (folder_size(root) + 1023) // 1024
    arch = subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()
    (debian / "control").write_text(
        f"Package: {APP_NAME}\n"
        f"Version: {__version__}\n"
        "Section: utils\n"
        "Priority: optional\n"
        f"Architecture: {arch}\n"
        f"Installed-Size: {installed_kb}\n"
        f"Depends: {', '.join(DEB_DEPENDS)}\n"
        "Maintainer: desktop-llm developers <desktop-llm@users.noreply.github.com>\n"
        f"Description: Chat with open language models offline ({backend} engine)\n"
        " desktop-llm finds and downloads GGUF models from Hugging Face, checks that\n"
        " they fit before downloading, and runs them on your own computer with\n"
        f" llama.cpp. This build's engine backend: {backend}.\n"
    )
    # Refresh the icon cache and menus after install and removal (when the tools exist).
    for name in ("postinst", "postrm"):
        script = debian / name
        script.write_text(
            "#!/bin/sh\nset -e\n"
            "if command -v gtk-update-icon-cache >/dev/null 2>&1; then\n"
            "  gtk-update-icon-cache -q -t -f /usr/share/icons/hicolor || true\nfi\n"
            "if command -v update-desktop-database >/dev/null 2>&1; then\n"
            "  update-desktop-database -q /usr/share/applications || true\nfi\n"
        )
        script.chmod(0o755)
    subprocess.run(
        ["dpkg-deb", "--root-owner-group", "-Zxz", "-z6", "--build", str(root), str(deb)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    shutil.rmtree(root)


# ---- Windows and macOS -----------------------------------------------------------------


def package_windows(bundle: Path, backend: str) -> dict[str, str]:
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    default = Path(r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe")
    if iscc is None and default.exists():
        iscc = str(default)
    name = f"{APP_NAME}-{__version__}-windows-x64-{backend}-setup"
    if iscc is None:
        log("Inno Setup (ISCC) not found: skipping the installer; the bundle is ready")
        return {}
    subprocess.run(
        [
            iscc,
            f"/DAppVersion={__version__}",
            f"/DBundleDir={bundle}",
            f"/DOutputDir={DIST}",
            f"/DOutputName={name}",
            f"/DIconFile={ROOT / 'resources' / 'icons' / f'{APP_NAME}.ico'}",
            str(ROOT / "build" / "windows" / f"{APP_NAME}.iss"),
        ],
        check=True,
    )
    return {"installer": str(DIST / f"{name}.exe")}


def package_macos(bundle: Path, backend: str) -> dict[str, str]:
    app = BUNDLE_PARENT / f"{APP_NAME}.app"
    dmg = DIST / f"{APP_NAME}-{__version__}-macos-{machine()}-{backend}.dmg"
    subprocess.run(
        ["bash", str(ROOT / "build" / "macos" / "make_dmg.sh"), str(app), str(dmg)], check=True
    )
    return {"app": str(app), "dmg": str(dmg)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", help="cpu, cuda, metal or vulkan (default: $BACKEND, else probed)")
    parser.add_argument("--skip-bundle", action="store_true", help="package the existing bundle")
    args = parser.parse_args()
    backend = (args.backend or detect_backend()).lower()
    log(f"{APP_NAME} {__version__}, engine backend {backend}")
    bundle = BUNDLE_PARENT / APP_NAME if args.skip_bundle else build_bundle()
    if not bundle.is_dir():
        raise SystemExit(f"no bundle at {bundle}: run without --skip-bundle")
    DIST.mkdir(exist_ok=True)
    if sys.platform.startswith("linux"):
        made = package_linux(bundle, backend)
    elif sys.platform == "win32":
        made = package_windows(bundle, backend)
    elif sys.platform == "darwin":
        made = package_macos(bundle, backend)
    else:
        raise SystemExit(f"no installer format for {sys.platform}")
    manifest = {
        "version": __version__,
        "backend": backend,
        "platform": sys.platform,
        "bundle": str(bundle),
        "bundle_bytes": folder_size(bundle),
        **made,
    }
    (DIST / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    for key, value in made.items():
        size = Path(value).stat().st_size if Path(value).is_file() else 0
        log(f"{key}: {value}" + (f" ({size / 1e6:.0f} MB)" if size else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
