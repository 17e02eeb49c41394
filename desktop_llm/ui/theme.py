"""Light and dark: the window follows the system's colour scheme (Qt 6.5+) or the one
chosen in Settings > Theme, with Qt's Fusion style so both schemes look alike on every
platform. Colours the app draws itself (message bubbles, code) come from here."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

_SCHEMES = {
    "system": Qt.ColorScheme.Unknown,  # Qt follows the system
    "light": Qt.ColorScheme.Light,
    "dark": Qt.ColorScheme.Dark,
}


_THEMED = "desktopLlmThemed"
"""Set on the application once a theme was chosen here (Fusion and our palette)."""


def apply_theme(app: QApplication, theme: str) -> None:
    """Use ``theme`` ("system", "light" or "dark") from now on; widgets get Qt's
    palette-change event and restyle.

    The colour scheme is also asked of the platform (native dialogs follow it where the
    platform supports it), but the palette is set here: a plain X11 session, for one,
    ignores the request."""
    if theme == "system" and not app.property(_THEMED):
        return  # the platform's style and palette follow the system already: no restyling
    app.setProperty(_THEMED, True)
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")  # the platform style ignores a dark palette on some systems
    app.styleHints().setColorScheme(_SCHEMES.get(theme, Qt.ColorScheme.Unknown))
    style = app.style()
    if theme == "dark":
        app.setPalette(_dark_palette())
    elif theme == "light":
        standard = style.standardPalette()
        app.setPalette(_light_palette() if _dark(standard) else standard)
    else:
        app.setPalette(QPalette())  # the platform's own, light or dark


def _dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _light_palette() -> QPalette:
    palette = QPalette(QColor("#efefef"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#1f1f1f"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#1f1f1f"))
    return palette


def _dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#202124",
        QPalette.ColorRole.WindowText: "#e8eaed",
        QPalette.ColorRole.Base: "#17181a",
        QPalette.ColorRole.AlternateBase: "#26272b",
        QPalette.ColorRole.ToolTipBase: "#2d2e31",
        QPalette.ColorRole.ToolTipText: "#e8eaed",
        QPalette.ColorRole.PlaceholderText: "#8a8d91",
        QPalette.ColorRole.Text: "#e8eaed",
        QPalette.ColorRole.Button: "#2b2c30",
        QPalette.ColorRole.ButtonText: "#e8eaed",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#3d6fd6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#8ab4f8",
        QPalette.ColorRole.Light: "#3a3b3f",
        QPalette.ColorRole.Midlight: "#323337",
        QPalette.ColorRole.Mid: "#26272a",
        QPalette.ColorRole.Dark: "#141517",
        QPalette.ColorRole.Shadow: "#000000",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f7276"))
    return palette


def is_dark() -> bool:
    """Whether the window is dark now (its palette: the platform's or the one chosen)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    return _dark(app.palette())


def bubble_style(dark: bool) -> str:
    """The chat view's one style sheet for every bubble, in the scheme's colours."""
    user, assistant, footer, failed = (
        ("#1d3557", "#2a2a2e", "#a8a8b0", "#ff6b6b")
        if dark
        else ("#e8f0fe", "#f6f6f6", "#666666", "#b00020")
    )
    return (
        f"QFrame#bubble-user {{ background: {user}; border-radius: 8px; }}"
        f"QFrame#bubble-assistant {{ background: {assistant}; border-radius: 8px; }}"
        "QFrame#bubble-user QTextBrowser, QFrame#bubble-assistant QTextBrowser"
        " { background: transparent; }"
        f"QLabel#bubble-footer {{ color: {footer}; font-size: 11px; }}"
        f'QLabel#bubble-footer[failed="true"] {{ color: {failed}; }}'
        'QFrame[found="true"] { border: 2px solid #f4b400; }'
    )
