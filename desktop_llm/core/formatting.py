"""Numbers as people read them: file sizes and parameter counts."""

from __future__ import annotations

_UNITS = ("kB", "MB", "GB", "TB", "PB")


def format_params(n: int | None) -> str:
    """A parameter count as people write it: 1_700_000_000 -> "1.7B", 135_000_000 ->
    "135M"; "" when unknown."""
    if not n:
        return ""
    return f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def format_size(n: int) -> str:
    """Decimal units, one decimal: 512 -> "512 B", 98_400_000 -> "98.4 MB"."""
    if abs(n) < 1000:
        return f"{n} B"
    value = float(n)
    for unit in _UNITS:
        value /= 1000
        # Move up a unit when rounding would print "1000.0".
        if abs(value) < 999.95 or unit == _UNITS[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")
