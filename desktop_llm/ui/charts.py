"""Small bar charts with Qt Charts (PySide6-Addons): one bar per compare pane."""

from __future__ import annotations

from PySide6.QtCharts import QBarCategoryAxis, QBarSeries, QBarSet, QChart, QChartView, QValueAxis
from PySide6.QtCore import QEvent, QMargins, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

from desktop_llm.ui.theme import is_dark

BAR_COLOR = "#5b8def"


class BarChart(QChartView):
    """A titled bar chart of (label, value) pairs; ``values`` is what it shows."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        chart = QChart()
        chart.setTitle(title)
        chart.legend().hide()
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        chart.setMargins(QMargins(2, 2, 2, 2))
        chart.setBackgroundRoundness(0)
        # The bars' figures and the axis in the window's language ("2,5" in Spanish);
        # the chart's locale is the default one when it is made (language.install_language).
        chart.setLocalizeNumbers(True)
        super().__init__(chart, parent)
        self.title = title
        self.values: list[tuple[str, float]] = []
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(150)
        self._dark: bool | None = None
        self._follow_theme()

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ThemeChange):
            self._follow_theme()

    def _follow_theme(self) -> None:
        """Qt Charts draws its own background: dark or light with the window."""
        dark = is_dark()
        if dark == self._dark:
            return
        self._dark = dark
        chart = self.chart()
        chart.setTheme(
            QChart.ChartTheme.ChartThemeDark if dark else QChart.ChartTheme.ChartThemeLight
        )
        chart.setBackgroundRoundness(0)
        for series in chart.series():  # the theme recolours the bars
            if isinstance(series, QBarSeries):
                for bars in series.barSets():
                    bars.setColor(QColor(BAR_COLOR))

    def set_values(self, values: list[tuple[str, float]]) -> None:
        self.values = list(values)
        chart = self.chart()
        chart.removeAllSeries()  # deletes them
        for axis in chart.axes():
            chart.removeAxis(axis)  # gives it back without deleting it
            axis.deleteLater()
        if not values:
            return
        bars = QBarSet(self.title)
        bars.setColor(QColor(BAR_COLOR))
        bars.append([value for _, value in values])
        series = QBarSeries()
        series.append(bars)
        series.setLabelsVisible(True)
        series.setLabelsFormat("@value")
        series.setLabelsPrecision(4)  # 2292, not 2.29e+03
        series.setLabelsPosition(QBarSeries.LabelsPosition.LabelsInsideEnd)
        chart.addSeries(series)
        # A category axis drops repeated names, and the same model in two panes is a
        # first-class case: then each bar is named after its pane too.
        names = [label for label, _ in values]
        if len(set(names)) < len(names):
            names = [f"{chr(65 + i)}: {name}" for i, name in enumerate(names)]
        categories = QBarCategoryAxis()
        categories.append(names)
        chart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
        series.attachAxis(categories)
        scale = QValueAxis()
        scale.setRange(0.0, max(value for _, value in values) * 1.15 or 1.0)
        scale.setTickCount(4)
        scale.applyNiceNumbers()  # round ticks: 0, 1000, 2000, 3000
        scale.setLabelFormat("%.4g")
        chart.addAxis(scale, Qt.AlignmentFlag.AlignLeft)
        series.attachAxis(scale)
