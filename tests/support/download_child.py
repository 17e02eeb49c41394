"""A process that downloads one file through the app's queue and its SQLite store, to be
killed with -9 by a test (``python -m tests.support.download_child DB URL DEST SIZE SHA REPO``).

It prints ``started <id>`` once the download is queued; what it leaves behind (the row in
the database, the ``.part`` file, a lock file without a lock) is what a crashed window
leaves.
"""

from __future__ import annotations

import sys
from pathlib import Path

from desktop_llm.core.downloads.downloader import Downloader, DownloaderConfig, DownloadRequest
from desktop_llm.core.downloads.manager import DownloadManager, Origin
from desktop_llm.storage import DownloadRepository, connect


def main(argv: list[str]) -> int:
    db, url, dest, size, sha, repo = argv
    conn = connect(Path(db))
    manager = DownloadManager(
        Downloader(DownloaderConfig(stall_timeout=30, retries=3, backoff=0.01, disk_margin=0)),
        store=DownloadRepository(conn),
    )
    request = DownloadRequest(url, Path(dest), int(size), sha if sha != "-" else None)
    item = manager.add("child", [request], origin=Origin(repo, "main", Path(dest).name))
    print(f"started {item.id}", flush=True)
    manager.wait(item.id)
    print(manager.items()[0].state, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
