"""The "auto" thread count leaves busy cores alone (issue 16)."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest

from desktop_llm.core.hardware.detect import physical_cores
from desktop_llm.core.hardware.threads import auto_threads, busy_cpus

BUSY_LOOP = "import time\nend = time.time() + 30\nwhile time.time() < end: pass\n"


def test_a_busy_background_process_takes_a_core_out_of_auto() -> None:
    cores = physical_cores()
    if cores < 2:
        pytest.skip("one core: auto is one thread whatever runs")
    busy = [
        subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
        for _ in range(psutil.cpu_count(logical=True) // cores)  # one core's hyper-threads
    ]
    try:
        time.sleep(0.3)  # the loops are running
        assert busy_cpus() >= 1
        assert 1 <= auto_threads() < cores
    finally:
        for proc in busy:
            proc.kill()
            proc.wait()


def test_auto_is_never_below_one_or_above_the_cores() -> None:
    assert 1 <= auto_threads(sample_s=0.05) <= physical_cores()
