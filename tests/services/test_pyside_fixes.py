"""pyside_fixes.skip_feature_scan in a fresh interpreter (PySide6's import hook is
process-wide): modules imported after it are not read, and still see the normal API."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = r"""
import json, linecache, sys
sys.path.insert(0, sys.argv[1])
import PySide6.QtCore
from desktop_llm.services.pyside_fixes import skip_feature_scan

feature = sys.modules["shibokensupport.feature"]
import before_fix
found = skip_feature_scan()
again = skip_feature_scan()
import after_fix
print(json.dumps({
    "found": found,
    "again": again,
    "read_before": before_fix.__file__ in linecache.cache,
    "read_after": after_fix.__file__ in linecache.cache,
    "flag_after": feature.pyside_feature_dict.get("after_fix"),
    "object_name": after_fix.name(),
}))
"""

MODULE = """from PySide6.QtCore import QObject


def name():
    probe = QObject()
    probe.setObjectName("probe")
    return probe.objectName()
"""


def test_modules_imported_after_the_fix_are_not_read_and_keep_the_normal_api(
    tmp_path: Path,
) -> None:
    for name in ("before_fix", "after_fix"):
        (tmp_path / f"{name}.py").write_text(MODULE)
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["found"] is True
    assert result["again"] is True  # a second call changes nothing
    assert result["read_before"] is True  # what PySide6 does on its own: reads the source
    assert result["read_after"] is False
    assert result["flag_after"] == 0  # "uses PySide6, no feature": PySide6's own default
    assert result["object_name"] == "probe"  # camelCase API, as without the fix
