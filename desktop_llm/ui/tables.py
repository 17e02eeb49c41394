"""Small helpers for tables whose rows carry an id in their first column's item data."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def read_only_item(text: str, tooltip: str = "") -> QTableWidgetItem:
    """A cell the user can select but not edit, with an optional tooltip."""
    item = QTableWidgetItem(text)
    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
    if tooltip:
        item.setToolTip(tooltip)
    return item


def selected_data(table: QTableWidget, role: int) -> object | None:
    """The first column's ``role`` data of the selected row, or None."""
    rows = table.selectionModel().selectedRows()
    if not rows:
        return None
    item = table.item(rows[0].row(), 0)
    return item.data(role) if item is not None else None


def select_by_data(table: QTableWidget, role: int, value: object) -> None:
    """Select the row whose first column carries ``value`` under ``role``."""
    for row in range(table.rowCount()):
        item = table.item(row, 0)
        if item is not None and item.data(role) == value:
            table.selectRow(row)
            return
