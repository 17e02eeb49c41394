"""Discover: the curated catalogue, Hugging Face search, and one repo's files with
their fit badges."""

from __future__ import annotations

import html
from dataclasses import replace

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_llm.services.hub_service import (
    CPU_ONLY,
    FITS_GPU,
    PARTIAL_GPU,
    WONT_FIT,
    Catalog,
    FileRow,
    HubService,
    RepoSummary,
    RepoView,
)
from desktop_llm.services.library_service import LibraryService
from desktop_llm.services.types import DEFAULT_CTX
from desktop_llm.ui.locale_format import decimal, number, size
from desktop_llm.ui.tables import read_only_item, select_by_data, selected_data

translate = QCoreApplication.translate


def _sorts() -> tuple[tuple[str, str], ...]:
    """The search orders: label, the service's key."""
    return (
        (translate("DiscoverPage", "Most downloads"), "downloads"),
        (translate("DiscoverPage", "Most likes"), "likes"),
        (translate("DiscoverPage", "Recently updated"), "recent"),
    )


BADGE_COLORS = {
    FITS_GPU: "#c8f0c8",
    PARTIAL_GPU: "#d4ecf7",
    CPU_ONLY: "#fbeec1",
    WONT_FIT: "#f7c9c9",
}
REPO_ROLE = Qt.ItemDataRole.UserRole


def _count(n: int | None) -> str:
    """Downloads and likes, short: "1.2M", "12.3k", "1,234"."""
    if n is None:
        return ""
    if n >= 1_000_000:
        return translate("DiscoverPage", "{count}M").format(count=decimal(n / 1e6))
    if n >= 10_000:
        return translate("DiscoverPage", "{count}k").format(count=decimal(n / 1e3))
    return number(n)


def _params(n: int | None) -> str:
    """A parameter count as people write it: "1.7B", "135M"; "" when unknown."""
    if not n:
        return ""
    if n >= 1e9:
        return translate("DiscoverPage", "{count}B").format(count=decimal(n / 1e9))
    return translate("DiscoverPage", "{count}M").format(count=number(round(n / 1e6)))


def fit_label(f: FileRow) -> str:
    """A file's fit badge: "fits on the GPU", "partly on the GPU (12 of 28 layers)",
    "CPU only", "will not fit", and ", context cut to 4,096" when it fits only so."""
    if f.fit == PARTIAL_GPU and f.n_layers:
        label = translate("RepoPage", "partly on the GPU ({layers} of {total} layers)").format(
            layers=number(f.gpu_layers), total=number(f.n_layers)
        )
    elif f.fit == FITS_GPU:
        label = translate("RepoPage", "fits on the GPU")
    elif f.fit == PARTIAL_GPU:
        label = translate("RepoPage", "partly on the GPU")
    elif f.fit == CPU_ONLY:
        label = translate("RepoPage", "CPU only")
    else:
        label = translate("RepoPage", "will not fit")
    if f.ctx_cut:
        return translate("RepoPage", "{fit}, context cut to {ctx}").format(
            fit=label, ctx=number(f.ctx)
        )
    return label


class DiscoverPage(QWidget):
    """Signals: repoChosen(str): the user picked a repo from the catalogue or the results."""

    repoChosen = Signal(str)

    def __init__(self, service: HubService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.query = QLineEdit()
        self.query.setPlaceholderText(
            translate("DiscoverPage", "Search Hugging Face for GGUF models, e.g. qwen, llama, phi")
        )
        self.query.returnPressed.connect(self.search)
        self.sort = QComboBox()
        for label, key in _sorts():
            self.sort.addItem(label, key)

        self.search_button = QPushButton(translate("DiscoverPage", "Search"))
        self.search_button.clicked.connect(self.search)
        bar.addWidget(self.query, 1)
        bar.addWidget(self.sort)
        bar.addWidget(self.search_button)
        layout.addLayout(bar)

        split = QSplitter(Qt.Orientation.Vertical)
        self.catalog = QTreeWidget()
        self.catalog.setHeaderLabels(
            [
                translate("DiscoverPage", "Model"),
                translate("DiscoverPage", "Size"),
                translate("DiscoverPage", "License"),
                translate("DiscoverPage", "About"),
            ]
        )
        self.catalog.setRootIsDecorated(True)
        self.catalog.itemActivated.connect(self._catalog_picked)
        self.catalog.itemClicked.connect(self._catalog_picked)
        split.addWidget(self.catalog)

        self.results = QTableWidget(0, 7)
        self.results.setHorizontalHeaderLabels(
            [
                translate("DiscoverPage", "Repository"),
                translate("DiscoverPage", "Author"),
                translate("DiscoverPage", "Downloads"),
                translate("DiscoverPage", "Likes"),
                translate("DiscoverPage", "Updated"),
                translate("DiscoverPage", "Params"),
                translate("DiscoverPage", "Architecture"),
            ]
        )
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.verticalHeader().setVisible(False)
        _fit_columns(self.results)
        self.results.cellClicked.connect(self._result_picked)
        # A new order re-runs the search shown (results sorted one way under the label
        # of another would mislead).
        self.sort.currentIndexChanged.connect(self._sort_changed)
        self.results.cellActivated.connect(self._result_picked)
        split.addWidget(self.results)
        layout.addWidget(split, 1)
        self.status = QLabel("")
        layout.addWidget(self.status)
        self._searching = False
        """The status line says "Searching…" (cleared when the search ends)."""

        service.searchFinished.connect(self.show_results)
        service.busyChanged.connect(self._busy)
        self.fill_catalog(service.catalog())

    def fill_catalog(self, catalog: Catalog) -> None:
        self.catalog.clear()
        for group, heading in catalog.groups.items():
            # The catalogue's texts are extracted under "Catalog" (tools/translations.py).
            top = QTreeWidgetItem([translate("Catalog", heading)])
            top.setFlags(top.flags() & ~Qt.ItemFlag.ItemIsSelectable)
            self.catalog.addTopLevelItem(top)
            for entry in catalog.in_group(group):
                about = translate("Catalog", entry.description) if entry.description else ""
                child = QTreeWidgetItem(
                    [f"{entry.name} ({entry.year})", entry.params, entry.license, about]
                )
                child.setData(0, REPO_ROLE, entry.repo)
                child.setToolTip(
                    0,
                    translate(
                        "DiscoverPage",
                        "{about}\n{repo}, license {license}\nrecommended file: {file}",
                    ).format(about=about, repo=entry.repo, license=entry.license, file=entry.file),
                )
                child.setToolTip(3, about)
                top.addChild(child)
            top.setExpanded(True)
        self.catalog.resizeColumnToContents(0)

    def _sort_changed(self) -> None:
        if self.results.rowCount():
            self.search()

    def search(self) -> None:
        self._searching = True
        self.status.setText(translate("DiscoverPage", "Searching…"))
        self._service.search(self.query.text().strip(), str(self.sort.currentData()))

    def show_results(self, results: list[RepoSummary]) -> None:
        self.results.setRowCount(0)
        for r in results:
            row = self.results.rowCount()
            self.results.insertRow(row)
            gated = translate("DiscoverPage", "{repo}  (gated)").format(repo=r.id)
            name = read_only_item(gated if r.gated else r.id)
            name.setData(REPO_ROLE, r.id)
            cells = [
                name,
                read_only_item(r.author or ""),
                read_only_item(_count(r.downloads)),
                read_only_item(_count(r.likes)),
                read_only_item((r.last_modified or "")[:10]),
                read_only_item(_params(r.parameters)),
                read_only_item(r.architecture or ""),
            ]
            for col, cell in enumerate(cells):
                self.results.setItem(row, col, cell)
        self._searching = False
        self.status.setText(
            translate("DiscoverPage", "%n repositories", "", len(results))
            if results
            else translate("DiscoverPage", "No GGUF models found.")
        )

    def _busy(self, task: str, busy: bool) -> None:
        if task == "search":
            self.search_button.setEnabled(not busy)
            if not busy and self._searching:
                self._searching = False
                self.status.setText("")

    def _catalog_picked(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        repo = item.data(0, REPO_ROLE)
        if repo:
            self.repoChosen.emit(str(repo))

    def _result_picked(self, row: int, _column: int = 0) -> None:
        item = self.results.item(row, 0)
        if item is not None:
            self.repoChosen.emit(str(item.data(REPO_ROLE)))


class RepoPage(QWidget):
    """One repo's files: quantization, size, fit badge, the recommended one marked,
    vision projectors as companions, and a Download button."""

    def __init__(
        self, service: HubService, library: LibraryService, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.view: RepoView | None = None
        self._repo_id: str | None = None
        self._loading = False
        layout = QVBoxLayout(self)
        self.title = QLabel(
            translate("RepoPage", "Choose a model from the catalogue or the search results.")
        )
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setOpenExternalLinks(True)
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        bar = QHBoxLayout()
        bar.addWidget(QLabel(translate("RepoPage", "Context length")))
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(512, 1_048_576)
        self.n_ctx.setSingleStep(1024)
        self.n_ctx.setValue(DEFAULT_CTX)
        self.n_ctx.setToolTip(
            translate("RepoPage", "The fit check plans for this many tokens of context")
        )
        self.recheck = QPushButton(translate("RepoPage", "Check again"))
        self.recheck.clicked.connect(self.reload)
        bar.addWidget(self.n_ctx)
        bar.addWidget(self.recheck)
        bar.addStretch(1)
        layout.addLayout(bar)
        columns = [
            translate("RepoPage", "File"),
            translate("RepoPage", "Quant"),
            translate("RepoPage", "Size"),
            translate("RepoPage", "Fit on this computer"),
            "",
        ]
        self.files = QTableWidget(0, len(columns))
        self.files.setHorizontalHeaderLabels(columns)
        self.files.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.files.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.files.verticalHeader().setVisible(False)
        _fit_columns(self.files, stretch_first=True)
        self.files.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.files, 1)
        self.companions = QLabel("")
        self.companions.setWordWrap(True)
        layout.addWidget(self.companions)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.download_button = QPushButton(translate("RepoPage", "Download"))
        self.download_button.setEnabled(False)
        self.download_button.clicked.connect(self.download_selected)
        buttons.addWidget(self.download_button)
        layout.addLayout(buttons)
        service.repoLoaded.connect(self.show_repo)
        service.busyChanged.connect(self._busy)
        library.modelsChanged.connect(self._library_changed)

    def failed(self) -> None:
        """The repo could not be read (the banner says why)."""
        if self._repo_id is not None and self._loading:
            self._loading = False
            self.title.setText(
                translate("RepoPage", "<b>{repo}</b>: could not read this repository").format(
                    repo=html.escape(self._repo_id)
                )
            )

    def open(self, repo_id: str) -> None:
        self._repo_id = repo_id
        self._loading = True
        self.title.setText(
            translate("RepoPage", "<b>{repo}</b>: reading the files and checking the fit…").format(
                repo=html.escape(repo_id)
            )
        )
        self.files.setRowCount(0)
        self.companions.setText("")
        self.download_button.setEnabled(False)
        self._service.open_repo(repo_id, self.n_ctx.value())

    def reload(self) -> None:
        if self._repo_id:
            self.open(self._repo_id)

    def _library_changed(self) -> None:
        """A download finished (or a model went): the files shown say what is installed
        now, and the Download button follows."""
        view = self.view
        if view is None or self._loading:
            return
        installed = self._service.installed_names(view.repo_id)
        chosen = self.selected_file()
        self.show_repo(
            replace(view, files=[replace(f, installed=f.name in installed) for f in view.files])
        )
        if chosen is not None:
            self.select_file(chosen)

    def show_repo(self, view: RepoView) -> None:
        self._loading = False
        self.view = view
        self._repo_id = view.repo_id
        link = f'<a href="https://huggingface.co/{view.repo_id}">{view.repo_id}</a>'
        if view.gated:
            title = translate(
                "RepoPage",
                "<b>{link}</b> (gated: needs an accepted license and a token), %n model file(s)",
                "",
                len(view.files),
            )
        else:
            title = translate("RepoPage", "<b>{link}</b>, %n model file(s)", "", len(view.files))
        self.title.setText(title.format(link=link))
        self.files.setRowCount(0)
        wanted = None
        bold = QFont()
        bold.setBold(True)
        for row, f in enumerate(view.files):
            self.files.insertRow(row)
            parts = translate("RepoPage", "{name} ({parts} parts)")
            name = read_only_item(
                parts.format(name=f.name, parts=number(f.parts)) if f.parts > 1 else f.name
            )
            name.setData(REPO_ROLE, f.name)
            name.setToolTip(f.name)
            badge = read_only_item(fit_label(f), f.fit_detail)
            badge.setBackground(QColor(BADGE_COLORS.get(f.fit, "#eeeeee")))
            badge.setForeground(QColor("#000000"))
            marks = []
            if f.recommended:
                marks.append(translate("RepoPage", "★ recommended"))
            if f.installed:
                marks.append(translate("RepoPage", "installed"))
            cells = [
                name,
                read_only_item(f.quant or "?"),
                read_only_item(size(f.size) if f.size is not None else "?"),
                badge,
                read_only_item(", ".join(marks)),
            ]
            if f.recommended:
                for cell in cells:
                    cell.setFont(bold)
            for col, cell in enumerate(cells):
                self.files.setItem(row, col, cell)
            if f.name == view.catalog_file or (wanted is None and f.recommended):
                wanted = row
        self.files.resizeColumnsToContents()
        _fit_columns(self.files, stretch_first=True)
        if wanted is not None:
            self.files.selectRow(wanted)
        sized = translate(
            "RepoPage", "Vision projector (companion file, not a model): {name}, {size}"
        )
        unsized = translate("RepoPage", "Vision projector (companion file, not a model): {name}")
        lines = [
            sized.format(name=c.name, size=size(c.size)) if c.size else unsized.format(name=c.name)
            for c in view.companions
        ]
        incomplete = translate("RepoPage", "Incomplete split model (not offered): {name}")
        lines += [incomplete.format(name=name) for name in view.incomplete]
        self.companions.setText("\n".join(lines))
        self._selection_changed()

    def selected_file(self) -> str | None:
        name = selected_data(self.files, REPO_ROLE)
        return str(name) if name is not None else None

    def select_file(self, name: str) -> None:
        select_by_data(self.files, REPO_ROLE, name)

    def download_selected(self) -> None:
        name = self.selected_file()
        if self.view is not None and name is not None:
            self._service.download(self.view.repo_id, name)

    def _selection_changed(self) -> None:
        name = self.selected_file()
        installed = self.view is not None and any(
            f.installed for f in self.view.files if f.name == name
        )
        self.download_button.setEnabled(name is not None and not installed)
        self.download_button.setText(
            translate("RepoPage", "Installed") if installed else translate("RepoPage", "Download")
        )

    def _busy(self, task: str, busy: bool) -> None:
        if task == "repo":
            self.recheck.setEnabled(not busy)


def _fit_columns(table: QTableWidget, *, stretch_first: bool = False) -> None:
    """Columns as wide as their text, so headers like "Fit on this computer" are whole.

    Search results: every column so, the repository's name above all, and the table
    scrolls sideways when it needs more (a stretched first column got what the others
    left in this narrow pane: a few letters). A repo's files (``stretch_first``): the
    file name takes the spare width and, when short of it, is cut in the middle, where
    it keeps its quantization and ".gguf" (the full name is in its tooltip); the
    recommended and installed marks stay in view.
    """
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch_first:
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
    else:
        header.setStretchLastSection(True)
