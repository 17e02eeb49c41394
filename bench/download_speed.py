"""Download throughput from a loopback Hub server: our downloader (sha256 while
downloading, .part file, rename) vs curl fetching the same file; and the bytes sent
again after a dropped connection."""

from __future__ import annotations

import mmap
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, Row, alternating, median, smollm2
from desktop_llm.core.downloads.downloader import Downloader, DownloaderConfig, DownloadRequest
from tests.support.hub_server import Faults, HubRepo, HubServer

REPO = "bench/SmolLM2-GGUF"
SERVER = f"""
import sys
from pathlib import Path
from tests.support.hub_server import HubRepo, HubServer
model = Path(sys.argv[1])
with HubServer([HubRepo({REPO!r}, {{model.name: model}})]) as server:
    print(server.url, flush=True)
    sys.stdin.readline()
"""


def direct_write_mb_s(folder: Path, size: int) -> float | None:
    """This disk's speed writing ``size`` bytes straight to it (O_DIRECT: no page cache),
    then fsync: the ceiling of a download that is on disk when it says it is done. None
    where the OS or the filesystem has no O_DIRECT (macOS, tmpfs)."""
    flag = getattr(os, "O_DIRECT", None)
    if flag is None:
        return None
    block = 1 << 20
    blocks = max(1, size // block)
    buffer = mmap.mmap(-1, block)  # page-aligned, as O_DIRECT needs
    buffer.write(os.urandom(block))
    path = folder / "direct.bin"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | flag, 0o600)
    except OSError:
        return None
    try:
        started = time.perf_counter()
        for _ in range(blocks):
            os.write(fd, buffer)
        os.fsync(fd)
        elapsed = time.perf_counter() - started
    finally:
        os.close(fd)
        path.unlink()
    return blocks * block / elapsed / 1e6


def run(rounds: int = 5) -> list[Row]:
    model = smollm2()
    name = model.name
    curl = shutil.which("curl")
    repo = HubRepo(REPO, {name: model})
    ours: list[float] = []
    theirs: list[float] = []
    # curl, then the file flushed to disk and hashed: the same work as ours, which
    # checks the sha256 and fsyncs before the rename (curl alone does neither). openssl's
    # sha256 uses the CPU's SHA instructions (coreutils' sha256sum is 3x slower here):
    # the stricter reference.
    openssl = shutil.which("openssl")
    hash_command: list[str] = [openssl, "dgst", "-sha256"] if openssl else ["sha256sum"]
    flushed: list[float] = []
    verified: list[float] = []
    direct: list[float] = []
    size = model.stat().st_size
    sha = repo.sha256(name)
    downloader = Downloader(DownloaderConfig(backoff=0.05))
    # The server runs in its own process, as curl does: in-process it would share the
    # GIL with our downloader and the comparison would be unfair to us.
    server_process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(model)],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert server_process.stdout is not None
    base = server_process.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"{base}/{REPO}/resolve/main/{name}"

        def measure_ours(i: int) -> None:
            dest = Path(tmp) / f"ours-{i}" / name
            started = time.perf_counter()
            downloader.download(DownloadRequest(url, dest, size, sha))
            ours.append(size / (time.perf_counter() - started) / 1e6)
            dest.unlink()

        def measure_curl(i: int) -> None:
            assert curl is not None
            out = Path(tmp) / f"curl-{i}.gguf"
            started = time.perf_counter()
            subprocess.run([curl, "-s", "-f", "-o", str(out), url], check=True)
            theirs.append(size / (time.perf_counter() - started) / 1e6)
            with out.open("rb+") as f:
                os.fsync(f.fileno())
            flushed.append(size / (time.perf_counter() - started) / 1e6)
            subprocess.run([*hash_command, str(out)], check=True, capture_output=True)
            verified.append(size / (time.perf_counter() - started) / 1e6)
            out.unlink()

        def measure_disk(_i: int) -> None:
            speed = direct_write_mb_s(Path(tmp), size)
            if speed is not None:
                direct.append(speed)

        # One untimed download first: the server reads the file into memory on the
        # first request, which would be charged to whoever goes first.
        warm = Path(tmp) / "warm" / name
        downloader.download(DownloadRequest(url, warm, size, sha))
        warm.unlink()
        for i in range(rounds):
            # Every other round curl goes first, so neither always follows the other.
            measures = [measure_ours, measure_curl] if curl else [measure_ours]
            for measure in alternating([*measures, measure_disk], i):
                measure(i)
    server_process.communicate("stop\n", timeout=30)
    # a dropped connection halfway: how much is sent in all?
    with HubServer([repo]) as server, tempfile.TemporaryDirectory() as tmp:
        url = f"{server.url}/{REPO}/resolve/main/{name}"
        server.faults = Faults(drop_after=size // 2, drops=1)
        dest = Path(tmp) / "dropped" / name
        downloader.download(DownloadRequest(url, dest, size, sha))
        resent = server.bytes_sent(name) / size
    rows = [
        Row(
            "Download throughput from a loopback server (MB/s)",
            median(ours),
            "MB/s",
            median(theirs) if theirs else None,
            "curl",
            ">= 0.95x curl",
            (median(ours) >= 0.95 * median(theirs)) if theirs else None,
            {"ours": ours, "curl": theirs, "file_bytes": size},
        ),
        Row(
            "Download throughput, both flushing the file to disk (MB/s)",
            median(ours),
            "MB/s",
            median(flushed) if flushed else None,
            "curl, then fsync",
            "informational",
            None,
            {"curl_then_fsync": flushed},
        ),
        Row(
            "Download throughput, both flushing to disk and checking sha256 (MB/s)",
            median(ours),
            "MB/s",
            median(verified) if verified else None,
            f"curl, then fsync and {Path(hash_command[0]).name} sha256",
            "informational",
            None,
            {"curl_then_hash": verified, "hash_command": hash_command},
        ),
        Row(
            "Bytes transferred for a download with one dropped connection (x file size)",
            resent,
            "x",
            target="<= 1.1x",
            met=resent <= 1.1,
        ),
    ]
    if direct:  # not where the filesystem refuses O_DIRECT
        rows.insert(
            3,
            Row(
                "This disk, the same size written straight to it (O_DIRECT, then fsync) (MB/s)",
                median(direct),
                "MB/s",
                target="reported: what a durable download can reach here",
                detail={"rounds": direct},
            ),
        )
    return rows


if __name__ == "__main__":
    for row in run():
        print(row.name, round(row.value, 2), row.reference, row.met)
