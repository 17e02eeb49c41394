"""The window's translations (issue 20): extract, fill, compile and check.

    python tools/translations.py update        # lupdate the .ts sources, lrelease the .qm
    python tools/translations.py fill F.json   # put translations from F into the .ts, update
    python tools/translations.py check         # what `make test` checks (exit 1 on a gap)
    python tools/translations.py coverage F.json FILE...  # FILE's strings F lacks

Sources: ``resources/translations/desktop_llm_es.ts`` (every string) and
``desktop_llm_en.ts`` (plurals only: English's source text is the English). Compiled:
``desktop_llm/resources/translations/*.qm`` (package data, committed, checked fresh).
The model catalogue's descriptions (``desktop_llm/resources/catalog.json``) are
extracted too, in the context "Catalog". ``F.json``: ``{"es": {context: {source:
text or [one, many]}}, "en": {context: {source: [one, many]}}}``.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "resources" / "translations"
COMPILED = ROOT / "desktop_llm" / "resources" / "translations"
CATALOG = ROOT / "desktop_llm" / "resources" / "catalog.json"
LANGUAGES = ("es", "en")
SCANNED = ("desktop_llm/ui", "desktop_llm/services", "desktop_llm/app.py")
"""Where window text lives; the CLI, core and server stay English."""
ERRORS_FROM = (
    "desktop_llm/core",
    "desktop_llm/storage",
    "desktop_llm/errors.py",
    "desktop_llm/paths.py",
    "desktop_llm/app.py",
)
"""Where the errors the window shows are raised: their ``XError.of("...")`` texts and
``errors._PLAIN_ERRNO``'s phrases are extracted in the context "Errors"."""


def _tool(name: str) -> str:
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else name


def ts_path(language: str, folder: Path = SOURCES) -> Path:
    return folder / f"desktop_llm_{language}.ts"


def error_texts(files: list[Path] | None = None) -> list[str]:
    """The texts of ``XError.of("...", ...)`` (and the planner's ``Phrase.of``) calls and
    the plain errno phrases (in
    ``files``; default: every file of ERRORS_FROM)."""
    found: list[str] = []
    if files is None:
        files = []
        for place in ERRORS_FROM:
            path = ROOT / place
            files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "of"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id.endswith(("Error", "Busy", "Phrase"))
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.append(node.args[0].value)
            elif (
                isinstance(node, ast.AnnAssign | ast.Assign)
                and "_PLAIN_ERRNO" in ast.unparse(node).split("=")[0]
                and isinstance(node.value, ast.Dict)
            ):
                found += [
                    v.value
                    for v in node.value.values
                    if isinstance(v, ast.Constant) and isinstance(v.value, str)
                ]
    return list(dict.fromkeys(found))


def _catalog_strings(folder: Path) -> Path:
    """A Python file lupdate reads: the catalogue's texts and core's error texts as
    translate() calls."""
    data = json.loads(CATALOG.read_text(encoding="utf-8"))
    texts = [*data.get("groups", {}).values()]
    texts += [m["description"] for m in data.get("models", []) if m.get("description")]
    lines = ["translate = None", *(f"translate('Catalog', {t!r})" for t in texts)]
    lines += [f"translate('Errors', {t!r})" for t in error_texts()]
    path = folder / "catalog_strings.py"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lupdate(folder: Path = SOURCES) -> None:
    """Extract every translate() string into the .ts files in ``folder`` (kept
    translations stay; strings gone from the code go)."""
    with tempfile.TemporaryDirectory() as tmp:
        inputs = [str(ROOT / p) for p in SCANNED] + [str(_catalog_strings(Path(tmp)))]
        for language in LANGUAGES:
            extra = ["-pluralonly"] if language == "en" else []
            _run_lupdate(
                [*extra, "-no-obsolete", "-target-language", language, *inputs],
                ts_path(language, folder),
            )


def _run_lupdate(args: list[str], ts: Path) -> None:
    """pyside6-lupdate over Python sources, without source locations, into ``ts``."""
    command = [_tool("pyside6-lupdate"), "-extensions", "py", "-locations", "none", "-silent"]
    subprocess.run([*command, *args, "-ts", str(ts)], check=True)


def lrelease(folder: Path = SOURCES, out: Path = COMPILED) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for language in LANGUAGES:
        subprocess.run(
            [
                _tool("pyside6-lrelease"),
                "-silent",
                str(ts_path(language, folder)),
                "-qm",
                str(out / f"desktop_llm_{language}.qm"),
            ],
            check=True,
        )


def entries(path: Path) -> dict[tuple[str, str], ET.Element]:
    """(context, source) -> the <message> element."""
    found: dict[tuple[str, str], ET.Element] = {}
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            found[(name, message.findtext("source") or "")] = message
    return found


def unfinished(path: Path) -> list[tuple[str, str]]:
    """The entries with no translation (or an empty plural form)."""
    gaps = []
    for key, message in entries(path).items():
        translation = message.find("translation")
        if translation is None or translation.get("type") in ("unfinished", "vanished"):
            gaps.append(key)
            continue
        forms = translation.findall("numerusform")
        texts = [f.text for f in forms] if forms else [translation.text]
        if not all(t and t.strip() for t in texts):
            gaps.append(key)
    return gaps


def fill(data: dict[str, dict[str, dict[str, str | list[str]]]]) -> int:
    """Write the translations in ``data`` into the .ts files; returns how many."""
    count = 0
    for language, contexts in data.items():
        path = ts_path(language)
        tree = ET.parse(path)
        for context in tree.getroot().iter("context"):
            wanted = contexts.get(context.findtext("name") or "", {})
            for message in context.iter("message"):
                text = wanted.get(message.findtext("source") or "")
                if text is None:
                    continue
                translation = message.find("translation")
                if translation is None:
                    translation = ET.SubElement(message, "translation")
                translation.attrib.pop("type", None)
                for child in list(translation):
                    translation.remove(child)
                if message.get("numerus") == "yes":
                    forms = text if isinstance(text, list) else [text, text]
                    translation.text = None
                    for form in forms:
                        ET.SubElement(translation, "numerusform").text = form
                else:
                    translation.text = text if isinstance(text, str) else text[-1]
                count += 1
        tree.write(path, encoding="utf-8", xml_declaration=True)
    return count


def check() -> list[str]:
    """Every problem `make test` fails on: strings in the code missing from a .ts,
    untranslated entries, a .qm older than its .ts."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp)
        for language in LANGUAGES:
            shutil.copy(ts_path(language), ts_path(language, fresh))
        lupdate(fresh)
        for language in LANGUAGES:
            have = set(entries(ts_path(language)))
            for context, source in sorted(set(entries(ts_path(language, fresh))) - have):
                problems.append(
                    f"{language}: not in the .ts (run make translations): [{context}] {source!r}"
                )
            for context, source in unfinished(ts_path(language)):
                problems.append(f"{language}: untranslated: [{context}] {source!r}")
        compiled = fresh / "qm"
        lrelease(SOURCES, compiled)
        for qm in sorted(compiled.iterdir()):
            shipped = COMPILED / qm.name
            if not shipped.exists() or shipped.read_bytes() != qm.read_bytes():
                problems.append(f"{shipped.relative_to(ROOT)} is stale (run make translations)")
    return problems


def coverage(data: dict[str, dict[str, dict[str, str | list[str]]]], files: list[str]) -> list[str]:
    """The strings of ``files`` that ``data`` (a fill file) has no translation for, and
    the plurals it has no English forms for."""
    gaps: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        ts = Path(tmp) / "slice.ts"
        _run_lupdate(files, ts)
        for text in error_texts([Path(f) for f in files if f.endswith(".py")]):
            if text not in data.get("es", {}).get("Errors", {}):
                gaps.append(f"es: [Errors] {text!r}")
        for (context, source), message in sorted(entries(ts).items()):
            if source not in data.get("es", {}).get(context, {}):
                gaps.append(f"es: [{context}] {source!r}")
            plural = message.get("numerus") == "yes"
            if plural and source not in data.get("en", {}).get(context, {}):
                gaps.append(f"en plural forms: [{context}] {source!r}")
    return gaps


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "update"
    if command == "update":
        lupdate()
        lrelease()
    elif command == "fill":
        data = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        lupdate()
        print(f"filled {fill(data)} entries")
        lupdate()  # back to lupdate's own layout
        lrelease()
    elif command == "coverage":
        data = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
        gaps = coverage(data, argv[2:])
        print("\n".join(gaps) or "every string has its translation")
        return 1 if gaps else 0
    elif command == "check":
        problems = check()
        print("\n".join(problems) or "translations complete")
        return 1 if problems else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
