"""Pages of a tab widget built the first time they are shown or asked for (issue 16: the
window starts sooner when the Compare and Library pages, and what they import, wait)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtWidgets import QTabWidget, QWidget

logger = logging.getLogger(__name__)


class LazyTabs:
    """Adds pages to ``tabs`` that a factory makes on the page's first showing (or
    :meth:`page`); until then an empty placeholder holds its place. Once built, the page
    itself is the tab's widget (``tabs.currentWidget() is page``)."""

    def __init__(self, tabs: QTabWidget) -> None:
        self.tabs = tabs
        self._waiting: dict[str, tuple[QWidget, Callable[[], QWidget]]] = {}
        self._built: dict[str, QWidget] = {}
        tabs.currentChanged.connect(self._shown)

    def add(self, key: str, label: str, factory: Callable[[], QWidget]) -> None:
        placeholder = QWidget()
        placeholder.setObjectName(f"waiting-{key}")
        self._waiting[key] = (placeholder, factory)
        self.tabs.addTab(placeholder, label)

    def built(self, key: str) -> bool:
        return key in self._built

    def page(self, key: str) -> QWidget | None:
        """The page (built now if it wasn't); None for a key never added."""
        if key in self._waiting:
            self._build(key)
        return self._built.get(key)

    def _shown(self, index: int) -> None:
        widget = self.tabs.widget(index)
        for key, (placeholder, _factory) in list(self._waiting.items()):
            if placeholder is widget:
                self._build(key)

    def _build(self, key: str) -> None:
        placeholder, factory = self._waiting.pop(key)
        page = factory()
        index = self.tabs.indexOf(placeholder)
        current = self.tabs.currentIndex()
        blocked = self.tabs.blockSignals(True)  # the same tab stays shown: no change
        try:
            label, tip = self.tabs.tabText(index), self.tabs.tabToolTip(index)
            self.tabs.removeTab(index)
            self.tabs.insertTab(index, page, label)
            self.tabs.setTabToolTip(index, tip)
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(blocked)
        placeholder.deleteLater()
        self._built[key] = page
        logger.debug("built the %s page", key)
