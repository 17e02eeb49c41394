"""Numbers, sizes, speeds, dates and durations as the window's language writes them
(issue 20): "1,234.5 MB" in English, "1234,5 MB" in Spanish, "3 minutes ago" /
"hace 3 minutos". Everything goes through ``QLocale()``, the default that
:func:`desktop_llm.ui.language.install_language` sets. The command line keeps
``core.formatting`` (always English, for scripts).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale

translate = QCoreApplication.translate


def size(n_bytes: int) -> str:
    """Decimal units, one decimal: 98_400_000 -> "98.4 MB" / "98,4 MB"."""
    return QLocale().formattedDataSize(n_bytes, 1, QLocale.DataSizeFormat.DataSizeSIFormat)


def number(n: int) -> str:
    """A whole number with the language's group separator: "12,345" / "12.345"."""
    return QLocale().toString(int(n))


def decimal(value: float, places: int = 1) -> str:
    """A decimal with the language's separator: "12.5" / "12,5"."""
    return QLocale().toString(float(value), "f", places)


def rate(tokens_per_s: float, places: int = 1) -> str:
    """A generation speed: "12.5 tok/s" / "12,5 tok/s"."""
    return translate("Units", "{rate} tok/s").format(rate=decimal(tokens_per_s, places))


def seconds(value: float, places: int = 1) -> str:
    """A short duration in seconds: "1.5 s" / "1,5 s"."""
    return translate("Units", "{seconds} s").format(seconds=decimal(value, places))


def moment(timestamp: float) -> str:
    """A date and time in the language's short format ("12/7/26 9:15 AM" / "7/12/26 9:15")."""
    when = QDateTime.fromSecsSinceEpoch(int(timestamp))
    return QLocale().toString(when, QLocale.FormatType.ShortFormat)


def ago(timestamp: float, now: float | None = None) -> str:
    """How long ago, in words with the right plural: "just now", "3 minutes ago",
    "yesterday", then the date ("hace 3 minutos", "ayer")."""
    elapsed = max(0.0, (time.time() if now is None else now) - timestamp)
    if elapsed < 60:
        return translate("Time", "just now")
    if elapsed < 3600:
        return translate("Time", "%n minute(s) ago", "", int(elapsed // 60))
    if elapsed < 86400:
        return translate("Time", "%n hour(s) ago", "", int(elapsed // 3600))
    if elapsed < 2 * 86400:
        return translate("Time", "yesterday")
    if elapsed < 30 * 86400:
        return translate("Time", "%n day(s) ago", "", int(elapsed // 86400))
    return QLocale().toString(QDateTime.fromSecsSinceEpoch(int(timestamp)).date())
