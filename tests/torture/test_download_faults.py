"""Campaign: downloads from the local Hub under faults (issue 17).

Every case downloads a file from the loopback Hub (tests/support/hub_server.py) through
the real huggingface_hub listing and the app's downloader, with one fault switched on:
dropped connections mid-body, stalls, HTTP 500s, a server that ignores Range (200 with
the whole body), corrupt bytes of the right length, a file listed without a checksum,
kill -9 of a process downloading (and a restart that resumes it from the SQLite queue),
and a disk that fills up (a small tmpfs, when running as root).

A case ends with the right file or a clear error (a DownloadError, the kind whose message
says what to do); never a wrong file in the library. Bytes the server sent for a case are
counted as a multiple of the file's size: at most 1.2x wherever the server honours Range.
A server that ignores Range must send again what it sent before the connection dropped,
so those cases are counted apart (at most 2x: the bytes before the drop, then the file).
"""

from __future__ import annotations

import contextlib
import errno
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop_llm.core.downloads.downloader import (
    Downloader,
    DownloaderConfig,
    DownloadRequest,
    Progress,
)
from desktop_llm.core.downloads.errors import DownloadError
from desktop_llm.core.downloads.manager import DONE, DownloadManager
from desktop_llm.core.hub import HubClient, plan_files
from desktop_llm.storage import DownloadRepository, connect
from tests.support.hub_server import Faults, HubRepo, HubServer
from tests.torture.conftest import Campaign

REPO = "tester/Faults-GGUF"
ROOT = Path(__file__).resolve().parents[2]
RANGE_BOUND, NO_RANGE_BOUND = 1.2, 2.0


@dataclass
class Tally:
    cases: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    right: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    clear_errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wrong_files: int = 0
    unclear: list[str] = field(default_factory=list)
    multiples: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    skipped: dict[str, str] = field(default_factory=dict)


class Bench:
    """The hub, the files' truth, and one fresh folder per case."""

    def __init__(self, hub: HubServer, base: Path, truth: dict[str, bytes]) -> None:
        self.hub, self.base, self.truth = hub, base, truth
        self.n = 0
        self.downloader = Downloader(
            DownloaderConfig(stall_timeout=0.3, retries=3, backoff=0.01, disk_margin=0)
        )

    def requests(self, models_dir: Path) -> dict[str, DownloadRequest]:
        """Planned as the app plans them: the Hub's listing through huggingface_hub."""
        client = HubClient(self.base / "cache", endpoint=self.hub.url, timeout=5)
        listing = client.repo(REPO)
        return {m.name: plan_files(client, listing, m, models_dir)[0] for m in listing.files.models}

    def folder(self) -> Path:
        self.n += 1
        return self.base / f"case{self.n}"

    def sent_since(self, first_hit: int, name: str) -> int:
        return sum(h.body_bytes for h in self.hub.file_hits()[first_hit:] if h.path.endswith(name))


def _library_is_clean(models_dir: Path, truth: dict[str, bytes]) -> bool:
    """No file in the library but a right one (partial and lock files aside)."""
    return all(
        path.read_bytes() == truth.get(path.name)
        for path in (models_dir / REPO).rglob("*")
        if path.is_file() and not path.name.endswith((".part", ".lock"))
    )


def _run_case(
    bench: Bench,
    tally: Tally,
    fault: str,
    name: str,
    setup: Callable[[Faults], None],
    attempt: Callable[[DownloadRequest, Path], Path],
    *,
    expect_error: bool = False,
    no_sha256: bool = False,
) -> None:
    hub = bench.hub
    hub.faults = Faults(no_sha256=no_sha256)
    models_dir = bench.folder()
    req = bench.requests(models_dir)[name]
    assert (req.sha256 is None) is no_sha256
    setup(hub.faults)
    first_hit = len(hub.file_hits())
    tally.cases[fault] += 1
    outcome = ""
    try:
        path = attempt(req, models_dir)
        outcome = "right" if path.read_bytes() == bench.truth[name] else "wrong"
    except DownloadError as exc:
        message = exc.message
        clear = bool(message) and "internal error" not in message and "Traceback" not in message
        outcome = "error" if clear else f"unclear: {message}"
    except Exception as exc:  # anything but a DownloadError is a bug in the downloader
        outcome = f"unclear: {type(exc).__name__}: {exc}"
    hub.faults = Faults()
    if outcome == "right":
        tally.right[fault] += 1
    elif outcome == "error":
        tally.clear_errors[fault] += 1
    elif outcome == "wrong":
        tally.wrong_files += 1
    else:
        tally.unclear.append(f"{fault} #{tally.cases[fault]}: {outcome}")
    if expect_error and outcome == "right":
        tally.unclear.append(f"{fault} #{tally.cases[fault]}: a bad file passed")
    if not _library_is_clean(models_dir, bench.truth):
        tally.wrong_files += 1
    multiple = bench.sent_since(first_hit, name) / len(bench.truth[name])
    tally.multiples[fault] = max(tally.multiples[fault], multiple)
    shutil.rmtree(models_dir, ignore_errors=True)


# ---- the faults ----------------------------------------------------------------------


def _kill_9_and_resume(bench: Bench, req: DownloadRequest, models_dir: Path, at: float) -> Path:
    """A process downloads through the app's queue and is killed with -9 in the middle;
    the next start restores the queue from SQLite and resumes from the .part."""
    assert req.size is not None
    bench.hub.faults.stall_after, bench.hub.faults.stall_seconds = int(req.size * at), 30
    db = models_dir.with_name(models_dir.name + ".sqlite3")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.download_child",
            str(db),
            req.url,
            str(req.dest),
            str(req.size),
            req.sha256 or "-",
            REPO,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    part = req.dest.with_name(req.dest.name + ".part")
    try:
        assert child.stdout is not None and child.stdout.readline().startswith("started")
        deadline = time.monotonic() + 30
        # Within a write buffer of the stall point: then the child is mid-body.
        while not (part.exists() and part.stat().st_size >= int(req.size * at) - 65536):
            if time.monotonic() > deadline:
                raise AssertionError("the child never got to the middle of the body")
            time.sleep(0.01)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    bench.hub.faults.stall_after = None
    conn = connect(db)
    try:
        manager = DownloadManager(bench.downloader, store=DownloadRepository(conn))
        (item,) = manager.restore(
            resume=True, on_done_for=lambda origin, requests: None, headers_for=lambda url: {}
        )
        finished = manager.wait(item.id, 60)
        if finished.state != DONE:
            raise DownloadError(finished.error or finished.state)
        return req.dest
    finally:
        conn.close()


@contextlib.contextmanager
def _small_disk(base: Path, size_mb: int) -> Iterator[Path | None]:
    """A tmpfs of ``size_mb`` (root only); None when one can't be mounted."""
    folder = base / "tmpfs"
    folder.mkdir(parents=True, exist_ok=True)
    if os.name != "posix" or os.geteuid() != 0 or shutil.which("mount") is None:
        yield None
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        yield None
        return
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path, leave: int) -> Path:
    """Write a filler file until ``leave`` bytes are left free (or the disk is full)."""
    filler = folder / "filler"
    block = b"\0" * 65536
    with filler.open("ab") as f:
        while shutil.disk_usage(folder).free > leave + len(block):
            try:
                f.write(block)
                f.flush()
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    break
                raise
        with contextlib.suppress(OSError):
            f.write(b"\0" * max(0, shutil.disk_usage(folder).free - leave))
            f.flush()
    return filler


def test_download_faults(campaign: Campaign, tmp_path: Path) -> None:
    rounds = campaign.scale(2, 40)
    rng = random.Random(17)
    sizes = [700_000, 1_300_000] if not campaign.full else [600_000, 1_500_000, 2_600_000]
    truth = {f"f{i}.Q8_0.gguf": rng.randbytes(size) for i, size in enumerate(sizes)}
    tally = Tally()
    names = list(truth)
    with HubServer([HubRepo(REPO, dict(truth))]) as hub:
        hub.chunk = 32 * 1024  # drops, stalls and a full disk land anywhere in a body
        bench = Bench(hub, tmp_path, truth)
        plain = bench.downloader.download

        def fraction() -> float:
            return rng.uniform(0.05, 0.95)

        for _ in range(rounds):
            name = rng.choice(names)
            size = len(truth[name])

            def drop(f: Faults, size: int = size) -> None:
                f.drop_after, f.drops = int(size * fraction()), rng.randint(1, 3)

            _run_case(bench, tally, "dropped_connection", name, drop, lambda r, d: plain(r))

            def stall(f: Faults, size: int = size) -> None:
                f.stall_after, f.stall_seconds, f.stalls = int(size * fraction()), 0.8, 1

            _run_case(bench, tally, "stall", name, stall, lambda r, d: plain(r))

            fails = rng.choice([1, 2, 3, 50])  # 3 retries: 50 in a row must give up

            def http_500(f: Faults, fails: int = fails) -> None:
                f.errors_500 = fails

            _run_case(bench, tally, "http_500", name, http_500, lambda r, d: plain(r))

            def no_range(f: Faults, size: int = size) -> None:
                f.ignore_range, f.drop_after = True, int(size * fraction())

            _run_case(bench, tally, "ignores_range", name, no_range, lambda r, d: plain(r))

            def corrupt(f: Faults, size: int = size) -> None:
                f.corrupt, f.corrupt_at = True, rng.random()
                if rng.random() < 0.5:  # and a drop, so the bad byte may come in a resume
                    f.drop_after = int(size * fraction())

            _run_case(
                bench,
                tally,
                "corrupt_bytes",
                name,
                corrupt,
                lambda r, d: plain(r),
                expect_error=True,
            )

            _run_case(
                bench,
                tally,
                "no_checksum",
                name,
                lambda f: None,
                lambda r, d: plain(r),
                no_sha256=True,
            )

            at = fraction()
            _run_case(
                bench,
                tally,
                "kill_9_and_restart",
                name,
                lambda f: None,
                lambda r, d, at=at: _kill_9_and_resume(bench, r, d, at),
            )

        max_size = max(sizes)
        with _small_disk(tmp_path, size_mb=max_size * 3 // 1_000_000 + 2) as disk:
            if disk is None:
                tally.skipped["disk_full"] = (
                    "needs root and tmpfs (mount -t tmpfs): not available here"
                )
            for _ in range(rounds if disk is not None else 0):
                name = rng.choice(names)
                _disk_full_case(bench, tally, disk, name, rng)

    figures = _figures(tally, truth)
    campaign.report(figures)
    assert tally.unclear == [], tally.unclear
    assert tally.wrong_files == 0
    assert figures["bytes_sent_max_multiple"] <= RANGE_BOUND
    assert figures["ignores_range_bytes_sent_max_multiple"] <= NO_RANGE_BOUND
    for fault, n in tally.cases.items():
        assert tally.right[fault] + tally.clear_errors[fault] == n, fault
    assert tally.right["corrupt_bytes"] == 0
    assert tally.right["kill_9_and_restart"] == tally.cases["kill_9_and_restart"]


def _disk_full_case(bench: Bench, tally: Tally, disk: Path, name: str, rng: random.Random) -> None:
    """Not enough room from the start (refused before a byte), or the disk fills up in
    the middle: a clear error that keeps the .part, then room again and a run that
    resumes to the right file."""
    up_front = rng.random() < 0.3
    at = rng.uniform(0.1, 0.8)
    size = len(bench.truth[name])

    def attempt(req: DownloadRequest, models_dir: Path) -> Path:
        del models_dir
        filler = disk / "filler"
        if up_front:
            _fill(disk, leave=size // 2)
            try:
                return bench.downloader.download(req)
            finally:
                filler.unlink(missing_ok=True)
        filled = False

        def fill_in_the_middle(p: Progress) -> None:
            nonlocal filled
            if not filled and p.done >= size * at:
                filled = True
                _fill(disk, leave=0)

        # Slowly enough that progress is reported (and the disk filled) mid-body.
        bench.hub.faults.throttle = 2_000_000
        try:
            bench.downloader.download(req, progress=fill_in_the_middle)
        except DownloadError as exc:
            if "the disk is full" not in exc.message or "run again to resume" not in exc.message:
                raise
            tally.clear_errors["disk_full_first_run"] += 1
        else:
            tally.unclear.append("disk_full: the full disk went unnoticed")
        finally:
            filler.unlink(missing_ok=True)
            bench.hub.faults.throttle = None
        return bench.downloader.download(req)  # room again: resumes

    hub = bench.hub
    hub.faults = Faults()
    models_dir = disk / f"case{bench.n}"
    bench.n += 1
    req = bench.requests(models_dir)[name]
    first_hit = len(hub.file_hits())
    tally.cases["disk_full"] += 1
    try:
        path = attempt(req, models_dir)
        if path.read_bytes() == bench.truth[name]:
            tally.right["disk_full"] += 1
        else:
            tally.wrong_files += 1
    except DownloadError as exc:
        if up_front and "not enough disk space" in exc.message:
            tally.clear_errors["disk_full"] += 1
        else:
            tally.unclear.append(f"disk_full: {exc.message}")
    except Exception as exc:
        tally.unclear.append(f"disk_full: {type(exc).__name__}: {exc}")
    if not _library_is_clean(models_dir, bench.truth):
        tally.wrong_files += 1
    multiple = bench.sent_since(first_hit, name) / size
    tally.multiples["disk_full"] = max(tally.multiples["disk_full"], multiple)
    shutil.rmtree(models_dir, ignore_errors=True)


def _figures(tally: Tally, truth: dict[str, bytes]) -> dict[str, object]:
    honouring = {k: v for k, v in tally.multiples.items() if k != "ignores_range"}
    return {
        "cases": sum(tally.cases.values()),
        "cases_per_fault": dict(tally.cases),
        "right_files": dict(tally.right),
        "clear_errors": dict(tally.clear_errors),
        "wrong_files": tally.wrong_files,
        "unclear_outcomes": len(tally.unclear),
        "bytes_sent_max_multiple_per_fault": {k: round(v, 3) for k, v in tally.multiples.items()},
        "bytes_sent_max_multiple": round(max(honouring.values(), default=0.0), 3),
        "ignores_range_bytes_sent_max_multiple": round(tally.multiples["ignores_range"], 3),
        "file_sizes": sorted(len(b) for b in truth.values()),
        "skipped": tally.skipped,
    }
