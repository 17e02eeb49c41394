"""The window's language (issue 20): which one, and Qt's translators for it.

The app's strings go through ``QCoreApplication.translate(context, text)``; their Spanish
lives in ``resources/translations/desktop_llm_es.ts`` (``make translations`` extracts and
compiles it) and ships compiled as ``desktop_llm/resources/translations/*.qm``. Qt's own
dialogs (file pickers, message-box buttons) use Qt's bundled ``qtbase_*.qm``. Numbers,
sizes and dates follow ``QLocale()``, which :func:`install_language` sets as the default.
The command line never calls this: its output stays English for scripts.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

LANGUAGE_NAMES = (("en", "English"), ("es", "Español"))
"""Settings > Language's languages (after "Like the system"); each in its own words."""
TRANSLATED = ("en", "es")
"""The languages with a translation; any other system language gets English."""
_speaking = ["en"]


def translations_dir() -> Path:
    """The compiled ``.qm`` files, package data (also inside the installers' bundle)."""
    return Path(__file__).resolve().parent.parent / "resources" / "translations"


def language_code(choice: str, system: QLocale | None = None) -> str:
    """The language the window speaks: ``choice`` ("en", "es"), or for "system" the
    system's (Qt reads LANG/LC_ALL/LC_MESSAGES on Linux, the OS locale on Windows and
    macOS) when it is one we translate, else English."""
    if choice in TRANSLATED:
        return choice
    locale = system if system is not None else QLocale.system()
    for name in [locale.name(), *locale.uiLanguages()]:
        code = name.replace("-", "_").split("_")[0].lower()
        if code in TRANSLATED:
            return code
    return "en"


def install_language(app: QCoreApplication, choice: str) -> list[QTranslator]:
    """Install the translators for ``choice`` into ``app`` and make its locale the
    default for numbers and dates. Returns them (keep a reference: Qt does not own
    them). A missing ``.qm`` leaves that part in English, never fails."""
    code = language_code(choice)
    _speaking[0] = code
    system = QLocale.system()
    # Spanish chosen on an English system: Spanish numbers ("1.234,5"); the system's
    # own locale when it speaks the chosen language (es_MX keeps its own separators).
    same = system.name().split("_")[0] == code
    QLocale.setDefault(system if same else QLocale(code))
    installed: list[QTranslator] = []
    # English is the source text; desktop_llm_en only gives its plurals ("1 model").
    candidates = [(translations_dir(), f"desktop_llm_{code}")]
    if code != "en":
        candidates.append((_qt_translations(), f"qtbase_{code}"))
    for folder, name in candidates:
        translator = QTranslator(app)
        if translator.load(name, str(folder)):
            app.installTranslator(translator)
            installed.append(translator)
    return installed


def remove_language(app: QCoreApplication, translators: list[QTranslator]) -> None:
    """Undo :func:`install_language`: back to the source text, English, with English
    numbers (translators installed before these, such as English's plurals, stay)."""
    for translator in translators:
        app.removeTranslator(translator)
    _speaking[0] = "en"
    QLocale.setDefault(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates))


def current_language() -> str:
    """The language :func:`install_language` last installed ("en" before any)."""
    return _speaking[0]


def _qt_translations() -> Path:
    path = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))
    if path.is_dir():
        return path
    import PySide6  # a frozen bundle without qt.conf: the wheel's layout

    return Path(PySide6.__file__).resolve().parent / "Qt" / "translations"
