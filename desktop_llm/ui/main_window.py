"""The main window: conversations on the left, the chat in the middle, settings on the
right, a model picker with load progress on top, and a status line with speed stats."""

from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QCoreApplication, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop_llm import APP_NAME
from desktop_llm.services.backup_service import BackupService
from desktop_llm.services.benchmark_service import BenchmarkService
from desktop_llm.services.chat_search_service import ChatSearchService
from desktop_llm.services.chat_service import ChatService
from desktop_llm.services.chat_transfer_service import ChatTransferService
from desktop_llm.services.cluster_service import ClusterService
from desktop_llm.services.compare_service import CompareService
from desktop_llm.services.hardware_service import HardwareService
from desktop_llm.services.hub_service import HubService
from desktop_llm.services.library_service import LibraryService
from desktop_llm.services.remote_service import RemoteService
from desktop_llm.services.server_service import ServerService, ServerState
from desktop_llm.services.types import ChatSettings, Message
from desktop_llm.ui import locale_format
from desktop_llm.ui.about import AboutDialog, EngineInfoLoader, EngineProbe, welcome_html
from desktop_llm.ui.chat_actions import ChatActions
from desktop_llm.ui.chat_search import ChatFinder
from desktop_llm.ui.chat_transfer import ChatTransferActions
from desktop_llm.ui.chat_view import ChatView, status_text
from desktop_llm.ui.composer import Composer
from desktop_llm.ui.conversation_list import ConversationList
from desktop_llm.ui.crash_dialog import show_crash_dialog
from desktop_llm.ui.lazy_tabs import LazyTabs
from desktop_llm.ui.markdown import render_markdown
from desktop_llm.ui.model_picker import ModelPicker
from desktop_llm.ui.settings_panel import SettingsPanel
from desktop_llm.ui.status_widgets import ErrorBanner, ServerBadge
from desktop_llm.ui.theme import apply_theme, is_dark
from desktop_llm.ui.window_menus import MenuActions, build_menus

if TYPE_CHECKING:  # made on first use (issue 16: the window starts without them)
    from desktop_llm.ui.backup_dialog import BackupDialog
    from desktop_llm.ui.benchmark_dialog import BenchmarkDialog
    from desktop_llm.ui.cluster_dialog import ClusterDialog
    from desktop_llm.ui.compare_tab import CompareTab
    from desktop_llm.ui.hardware_dialog import HardwareDialog
    from desktop_llm.ui.kv_cache_dialog import KvCacheDialog
    from desktop_llm.ui.library_page import LibraryPage
    from desktop_llm.ui.models_window import ModelsWindow
    from desktop_llm.ui.remote_dialog import RemoteDialog
    from desktop_llm.ui.server_dialog import ServerDialog
    from desktop_llm.ui.settings_window import SettingsWindow

translate = QCoreApplication.translate

WARM_UP_MS = 250
"""After the window is up: make what the first reply would otherwise make."""
ERROR_MESSAGE_MS = 15_000
"""How long the status bar says an error from the Compare or Library page."""

logger = logging.getLogger(__name__)


MIN_LIST_WIDTH, MIN_CHAT_WIDTH, MIN_PANEL_WIDTH = 150, 360, 220
MIN_WINDOW = QSize(MIN_LIST_WIDTH + MIN_CHAT_WIDTH + MIN_PANEL_WIDTH + 40, 560)


class MainWindow(QMainWindow):
    """``engine_probe`` answers the About box's engine question (run off the GUI thread);
    ``first_run`` shows the welcome text in the empty chat until the first message."""

    def __init__(
        self,
        service: ChatService,
        library: LibraryService,
        *,
        engine_probe: EngineProbe | None = None,
        first_run: bool = False,
        hub: HubService | None = None,
        hardware: HardwareService | None = None,
        compare: CompareService | None = None,
        benchmark: BenchmarkService | None = None,
        backup: BackupService | None = None,
        server: ServerService | None = None,
        chat_search: ChatSearchService | None = None,
        chat_transfer: ChatTransferService | None = None,
        cluster: ClusterService | None = None,
        remote: RemoteService | None = None,
    ) -> None:
        super().__init__()
        self.cluster = cluster
        self.remote = remote
        self.service = service
        self.library = library
        self.hub = hub
        self.hardware = hardware
        self.benchmark = benchmark
        self.backup = backup
        self.server = server
        self._models_window: ModelsWindow | None = None
        self._server_dialog: ServerDialog | None = None
        self.engine_info = EngineInfoLoader(engine_probe, self)
        self._first_run = first_run
        self.conversation_id: int | None = None
        self.setWindowTitle(APP_NAME)
        # 1200x780, or the screen's free area where that is smaller (a 1024x768 laptop).
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry().size() if screen is not None else QSize(1200, 780)
        self.resize(min(1200, room.width()), min(780, room.height()))
        self.setAcceptDrops(True)
        # Chat > Export and Import (issue 18).
        self.transfer = ChatTransferActions(self, chat_transfer) if chat_transfer else None
        self.menu_actions = build_menus(
            self,
            MenuActions(
                new_chat=self.new_conversation,
                import_model=self.import_model_dialog,
                find_models=self.show_models if self.hub is not None else None,
                benchmark=self.show_benchmark if self.benchmark is not None else None,
                hardware=self.show_hardware if self.hardware is not None else None,
                backups=self.show_backups if self.backup is not None else None,
                local_server=self.show_server if self.server is not None else None,
                welcome=self.show_welcome,
                about=self.show_about,
                export_chat=self.transfer.export_chat if self.transfer else None,
                export_all_chats=self.transfer.export_all if self.transfer else None,
                import_chats=self.transfer.import_chats if self.transfer else None,
                cluster=self.show_cluster if self.cluster is not None else None,
                remote_servers=self.show_remote_servers if remote is not None else None,
                stop=self.stop_reply,
                regenerate=self.regenerate,
                focus_input=self.focus_input,
                search_chats=self.search_chats,
                theme=self.set_theme,
                settings=self.show_settings,
                library=self.show_library if compare is not None else None,
                current_theme=service.settings.theme,
                saved_states=self.show_saved_states,
            ),
        )

        self._next_chat_model: int | None = None  # an import waits for the next new chat
        self.conversations = ConversationList()
        self.chat = ChatView()
        self.settings_panel = SettingsPanel(library.template_names())

        self.model_picker = ModelPicker(library, remotes=remote)
        self.load_bar = QProgressBar()
        self.load_bar.setRange(0, 100)
        self.load_bar.setMaximumWidth(160)
        self.load_bar.setFormat(translate("MainWindow", "loading %p%"))
        self.load_bar.hide()
        self.error_banner = ErrorBanner()

        self.composer = Composer(self.send_current)
        self.send_button = QPushButton(translate("MainWindow", "Send"))
        self.stop_button = QPushButton(translate("MainWindow", "Stop"))
        self.regenerate_button = QPushButton(translate("MainWindow", "Regenerate"))
        self.send_button.clicked.connect(self.send_current)
        self.stop_button.clicked.connect(self.stop_reply)
        self.regenerate_button.clicked.connect(self.regenerate)
        self.stop_button.setEnabled(False)

        top = QHBoxLayout()
        top.addWidget(QLabel(translate("MainWindow", "Model:")))
        top.addWidget(self.model_picker, 1)
        top.addWidget(self.load_bar)
        buttons = QVBoxLayout()
        for button in (self.send_button, self.stop_button, self.regenerate_button):
            buttons.addWidget(button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.composer, 1)
        bottom.addLayout(buttons)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.addLayout(top)
        middle_layout.addWidget(self.error_banner)
        # The chat, or the welcome text while a first-time user's chat is empty.
        self.welcome = QTextBrowser()
        self.welcome.setObjectName("welcome")
        self.chat_area = QStackedWidget()
        self.chat_area.addWidget(self.chat)
        self.chat_area.addWidget(self.welcome)
        middle_layout.addWidget(self.chat_area, 1)
        # A base model continues text; it is no chat partner, and says so (issue 16).
        self.base_model_note = QLabel(
            translate(
                "MainWindow",
                "This is a base model: it continues your text rather than answering it. "
                "Choose an instruct model to chat.",
            )
        )
        self.base_model_note.setObjectName("base-model-note")
        self.base_model_note.setWordWrap(True)
        self.base_model_note.hide()
        middle_layout.addWidget(self.base_model_note)
        middle_layout.addLayout(bottom)

        splitter = QSplitter()
        splitter.addWidget(self.conversations)
        splitter.addWidget(middle)
        splitter.addWidget(self.settings_panel)
        splitter.setSizes([230, 700, 270])
        splitter.setStretchFactor(1, 1)
        # Nothing squashed (issue 16): panes keep a usable width and never fold away.
        splitter.setChildrenCollapsible(False)
        self.conversations.setMinimumWidth(MIN_LIST_WIDTH)
        middle.setMinimumWidth(MIN_CHAT_WIDTH)
        self.settings_panel.setMinimumWidth(MIN_PANEL_WIDTH)
        self.splitter = splitter
        self.setMinimumSize(MIN_WINDOW)
        # Compare and Library are built when first shown (ui/lazy_tabs.py).
        self.pages: LazyTabs | None = None
        if compare is None:
            self.setCentralWidget(splitter)
        else:
            self.tabs = QTabWidget()
            self.tabs.addTab(splitter, translate("MainWindow", "Chat"))
            self.pages = LazyTabs(self.tabs)
            self.pages.add(
                "compare", translate("MainWindow", "Compare"), partial(self._compare_page, compare)
            )
            # The installed models: a page of their own, not a tab of "Find models…".
            self.pages.add("library", translate("MainWindow", "Library"), self._library_page)
            # A page's error said in the status bar (show_error) is that page's.
            self.tabs.currentChanged.connect(self.statusBar().clearMessage)
            self.setCentralWidget(self.tabs)
        self.status = QLabel(translate("MainWindow", "Ready"))
        self.statusBar().addWidget(self.status, 1)
        self.server_badge = ServerBadge()
        self.statusBar().addPermanentWidget(self.server_badge)
        # Edit and branch, presets, thinking, long chats (issue 18).
        self.chat_actions = ChatActions(self)
        # The search box above the chat list, Ctrl+F (issue 18).
        self.finder = ChatFinder(self, chat_search) if chat_search is not None else None

        self.conversations.selected.connect(self.open_conversation)
        self.conversations.newRequested.connect(self.new_conversation)
        self.conversations.renameRequested.connect(service.rename_conversation)
        self.conversations.deleteRequested.connect(self._delete_conversation)
        self.chat.branchRequested.connect(self._show_branch)
        self.chat.keepWritingRequested.connect(self.keep_writing)
        self.model_picker.modelChosen.connect(self._model_changed)
        self.settings_panel.settingsEdited.connect(self._settings_edited)
        self.settings_panel.systemPromptEdited.connect(self._system_prompt_edited)
        self.settings_panel.templateChosen.connect(self._template_chosen)
        self.settings_panel.defaultsRequested.connect(self._use_as_defaults)
        self.settings_panel.threadsChosen.connect(self._threads_chosen)
        self.settings_panel.set_defaults(service.default_settings())

        service.conversationsChanged.connect(self.refresh_conversations)
        library.modelsChanged.connect(self.refresh_models)
        library.templateRead.connect(self._template_read)
        library.errorOccurred.connect(self._library_error)
        service.loadProgress.connect(self._load_progress)
        service.busyChanged.connect(self._busy_changed)
        service.replyStarted.connect(self._reply_started)
        service.replyChunk.connect(self.chat.append_to)
        service.replyRate.connect(self._reply_rate)
        service.promptProgress.connect(self._prompt_progress)
        service.replyFinished.connect(self._reply_finished)
        service.errorOccurred.connect(self.show_error)
        if backup is not None:  # the daily backup fails with no dialog open to say so
            backup.errorOccurred.connect(
                lambda message: self.show_error(
                    translate("MainWindow", "backup failed: {message}").format(message=message)
                )
            )
        if server is not None:
            server.stateChanged.connect(self._server_state)
            self._server_state(server.state)
        # Every service reports bugs the same way; the crash dialog shows them.
        reporters = (
            service,
            library,
            hub,
            hardware,
            compare,
            benchmark,
            backup,
            server,
            remote,
            self.engine_info,
        )
        for reporter in reporters:
            if reporter is not None:
                reporter.bugOccurred.connect(lambda details: show_crash_dialog(self, details))

        self.refresh_models()
        self._restore()
        # The Markdown parser is made on its first use (~11 ms): made here once the window
        # is up, not during the first reply's streaming (issue 16: stalls while streaming).
        QTimer.singleShot(WARM_UP_MS, lambda: render_markdown("*warm* `up`", dark=is_dark()))

    # -- pages: built when first shown ------------------------------------------------
    @property
    def compare_tab(self) -> CompareTab | None:
        """The Compare page (built now if it wasn't yet); None without comparisons."""
        return cast("CompareTab | None", self.pages.page("compare") if self.pages else None)

    @property
    def library_page(self) -> LibraryPage | None:
        """The Library page (built now if it wasn't yet); None without it (the Models
        window has the library as a tab then)."""
        return cast("LibraryPage | None", self.pages.page("library") if self.pages else None)

    def _compare_page(self, compare: CompareService) -> CompareTab:
        from desktop_llm.ui.compare_tab import CompareTab

        tab = CompareTab(compare, self)
        self.library.modelsChanged.connect(tab.refresh_models)
        if self.remote is not None:
            self.remote.modelsChanged.connect(tab.refresh_models)
        return tab

    def _library_page(self) -> LibraryPage:
        from desktop_llm.ui.library_page import LibraryPage

        return LibraryPage(self.library)

    # -- menus: build_menus (ui/window_menus.py) -------------------------------------
    def show_models(self) -> None:
        """The Models window: discover, download, library (one instance, non-modal)."""
        assert self.hub is not None
        if self._models_window is None:
            from desktop_llm.ui.models_window import ModelsWindow

            self._models_window = ModelsWindow(
                self.hub, self.library, self, library_tab=self.pages is None
            )
        self._models_window.show()
        self._models_window.raise_()
        self._models_window.activateWindow()

    def show_benchmark(self) -> BenchmarkDialog | None:
        """Models > Benchmark: speed and memory of the model chosen in the picker."""
        from desktop_llm.ui.benchmark_dialog import BenchmarkDialog

        assert self.benchmark is not None
        model_id = self.current_model_id()
        if model_id is None:
            self.show_error(translate("MainWindow", "choose a model to benchmark first"))
            return None
        name = self.model_picker.current_name()
        dialog = BenchmarkDialog(self.benchmark, model_id, name, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_hardware(self) -> HardwareDialog:
        from desktop_llm.ui.hardware_dialog import HardwareDialog

        assert self.hardware is not None
        dialog = HardwareDialog(self.hardware, self.current_model_id(), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_cluster(self) -> ClusterDialog:
        """Settings > Cluster: the other PCs (rpc-workers) models are split over."""
        from desktop_llm.ui.cluster_dialog import ClusterDialog

        assert self.cluster is not None
        dialog = ClusterDialog(self.cluster, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_remote_servers(self) -> RemoteDialog:
        """Settings > Remote servers: OpenAI-compatible servers whose models are offered."""
        from desktop_llm.ui.remote_dialog import RemoteDialog

        assert self.remote is not None
        dialog = RemoteDialog(self.remote, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_saved_states(self) -> KvCacheDialog:
        """Settings > Saved chat states: their size, the limit, Clear (issue 19)."""
        from desktop_llm.services.kv_cache_service import KvCacheService
        from desktop_llm.ui.kv_cache_dialog import KvCacheDialog

        dialog = KvCacheDialog(KvCacheService(self.service), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_backups(self) -> BackupDialog:
        """Settings > Backups: the last backup, the kept ones, "Back up now"."""
        from desktop_llm.ui.backup_dialog import BackupDialog

        assert self.backup is not None
        dialog = BackupDialog(self.backup, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def show_about(self) -> AboutDialog:
        """The About box, non-modal: the engine line fills in when the probe answers."""
        dialog = AboutDialog(self.engine_info, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    # -- welcome ------------------------------------------------------------------
    def show_welcome(self) -> None:
        """Show the getting-started text in place of the chat (until a message is sent
        or another chat is opened)."""
        self.welcome.setHtml(welcome_html(bool(self.library.models())))
        self.chat_area.setCurrentWidget(self.welcome)

    def _update_welcome(self, empty_chat: bool) -> None:
        # First run, or nothing to chat with: guide the user in the empty chat.
        if empty_chat and (self._first_run or not self.library.models()):
            self.show_welcome()
        else:
            self.chat_area.setCurrentWidget(self.chat)

    # -- state --------------------------------------------------------------------
    def _restore(self) -> None:
        conversations = self.service.conversations()
        last = self.service.settings.last_conversation_id
        ids = {c.id for c in conversations}
        if last in ids:
            self.open_conversation(last)
        elif conversations:
            self.open_conversation(conversations[0].id)
        else:
            self.new_conversation()

    def refresh_conversations(self) -> None:
        self.conversations.set_conversations(
            self.service.conversations(), self.conversation_id, self.service.replying_in
        )

    def refresh_models(self) -> None:
        self.model_picker.refresh(self.service.settings.last_model_id)
        self._show_template()

    def current_model_id(self) -> int | None:
        return self.model_picker.current_model_id()

    def select_model(self, model_id: int) -> None:
        """Choose ``model_id`` as the user would: the open chat switches to it."""
        self.model_picker.select_model(model_id)

    # -- conversations ------------------------------------------------------------
    def new_conversation(self) -> None:
        model_id, self._next_chat_model = self._next_chat_model, None
        if model_id is not None:
            self.model_picker.select_model(model_id, quiet=True)
        conversation = self.service.new_conversation(self.current_model_id())
        self.open_conversation(conversation.id)

    def _arm_stop(self) -> None:
        """Stop belongs to the chat a reply is written in: another chat's is not armed."""
        writing_in = self.service.replying_in
        armed = writing_in is not None and writing_in == self.conversation_id
        self.stop_button.setEnabled(armed)
        self.menu_actions["stop"].setEnabled(armed)  # Esc

    def set_theme(self, theme: str) -> None:
        """Settings > Theme: light, dark or the system's, at once and from now on."""
        self.service.remember(theme=theme)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, theme)

    def show_settings(self, page: str = "general") -> SettingsWindow:
        """Settings: one window with pages (the other Settings entries open theirs);
        ``page`` is a page's key ("general", "performance", "backups"...)."""
        from desktop_llm.ui.settings_window import OtherSettings, SettingsWindow

        others = [
            (
                "server",
                translate("MainWindow", "Local server"),
                translate("MainWindow", "The OpenAI-compatible API for other programs."),
                self.show_server,
            )
            if self.server is not None
            else None,
            (
                "remote",
                translate("MainWindow", "Remote servers"),
                translate("MainWindow", "Other machines' model servers."),
                self.show_remote_servers,
            )
            if self.remote is not None
            else None,
            (
                "cluster",
                translate("MainWindow", "Cluster"),
                translate("MainWindow", "Other PCs (rpc-workers) to split a model over."),
                self.show_cluster,
            )
            if self.cluster is not None
            else None,
            (
                "states",
                translate("MainWindow", "Saved chat states"),
                translate("MainWindow", "Kept chat memory: size, limit, Clear."),
                self.show_saved_states,
            ),
            (
                "backups",
                translate("MainWindow", "Backups"),
                translate("MainWindow", "The daily database backups."),
                self.show_backups,
            )
            if self.backup is not None
            else None,
        ]
        window = SettingsWindow(
            self.service,
            self.library,
            models_folder=self.library.models_folder,
            set_theme=self.set_theme,
            current_model=self.current_model_id,
            choose_model=self.select_model,
            hardware=self.hardware,
            others=OtherSettings(tuple(p for p in others if p is not None)),
            parent=self,
        )
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.page(page)
        window.show()
        return window

    def show_library(self) -> None:
        """Models > Library: the installed models' page."""
        page = self.library_page
        if page is not None:
            self.tabs.setCurrentWidget(page)

    def focus_input(self) -> None:
        """Ctrl+L: the cursor in the message box."""
        self.composer.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def search_chats(self) -> None:
        """Ctrl+F: the cursor in the search box above the chat list."""
        if self.finder is not None:
            self.finder.box.focus_field()

    def stop_reply(self) -> None:
        """Stop (the button, Esc): the open chat's reply only."""
        if self.stop_button.isEnabled():
            self.service.stop()

    def open_conversation(self, conversation_id: int) -> None:
        self.conversation_id = conversation_id
        self.service.remember(last_conversation_id=conversation_id)
        conversation = self.service.conversation(conversation_id)
        self.settings_panel.show_settings(
            ChatSettings.from_dict(conversation.settings), conversation.system_prompt
        )
        if conversation.model_id is not None and conversation.model_id != self.current_model_id():
            # Showing the chat's own model is not a change to the chat: no write, which
            # would mark it updated and reorder the list under the user's click.
            self.model_picker.select_model(conversation.model_id, quiet=True)
            self.service.remember(last_model_id=conversation.model_id)
            self._show_template()
        self.chat_actions.refresh_presets()
        self._show_messages()
        self.refresh_conversations()
        self._arm_stop()

    def refresh_chat(self) -> None:
        """Draw the chat shown again from storage (after its branch changed)."""
        self._show_messages()

    def _show_messages(self) -> None:
        if self.conversation_id is None:
            return
        ids = self.service.message_ids(self.conversation_id)
        messages = self.chat.set_page(ids, self.service.messages_by_id, self.service.sibling_ids)
        self._update_welcome(not ids)
        self.regenerate_button.setEnabled(bool(ids) and not self.service.busy)
        self.chat_actions.chat_changed()
        streaming = self.service.streaming()
        if streaming is not None:
            bubble = self.chat.bubble(streaming[0])
            if bubble is not None:  # came back to the chat being written in
                bubble.show_reasoning(self.service.streaming_reasoning(), None)
                bubble.begin_streaming(streaming[1])
                self.status.setText(translate("MainWindow", "Writing…"))
                return
        last = next((m for m in reversed(messages) if m.role == "assistant"), None)
        self.status.setText(status_text(last))

    def _delete_conversation(self, conversation_id: int) -> None:
        # The service refuses the chat a reply is being written in (open or not).
        if not self.service.delete_conversation(conversation_id):
            return
        if conversation_id == self.conversation_id:
            self.conversation_id = None
            self._restore()

    def _show_branch(self, message_id: int) -> None:
        if self.service.busy:
            return
        self.service.select_branch(message_id)
        self._show_messages()

    # -- sending ------------------------------------------------------------------
    def send_current(self) -> None:
        text = self.composer.toPlainText()
        if not text.strip() or self.service.busy:
            return
        if self.conversation_id is None:
            self.new_conversation()
        assert self.conversation_id is not None
        self.hide_error()
        if not self.chat_actions.ready_to_send(text):
            return  # too long for the context: the question is asked first
        if self.service.send(self.conversation_id, text, self.model_picker.current_choice()):
            self.composer.clear()

    def keep_writing(self, reply_id: int) -> None:
        """Continue on a reply cut off by max tokens or a full context: ask the model to go
        on (from that reply: a new branch if it isn't the last message). A full context
        then meets the long-chat question before anything is sent (chat_actions)."""
        if self.conversation_id is None or self.service.busy:
            return
        ids = self.service.message_ids(self.conversation_id)
        if reply_id not in ids:
            return
        if ids[-1] != reply_id:
            self.chat_actions.continue_from(reply_id)
        # What the user would type: in the window's language, as the model is asked.
        self.composer.setPlainText(translate("MainWindow", "Continue."))
        self.send_current()

    def regenerate(self) -> None:
        if self.conversation_id is None or self.service.busy:
            return
        self.hide_error()
        if not self.chat_actions.ready_to_regenerate():
            return  # too long for the context without its last reply: asked first
        self.service.regenerate(self.conversation_id, self.model_picker.current_choice())

    def _reply_started(self, user: Message, reply: Message) -> None:
        self._first_run = False
        if user.conversation_id != self.conversation_id:
            return
        branch = partial(self.service.messages, user.conversation_id)
        self.chat.begin_reply(user, reply, branch, self.service.sibling_ids)
        self.chat_area.setCurrentWidget(self.chat)
        if self.load_bar.isHidden():  # else "Loading model… N%" says more
            self.status.setText(translate("MainWindow", "Reading your message…"))

    def _prompt_progress(self, done: int, total: int) -> None:
        if self.service.replying_in == self.conversation_id:  # not another chat's status
            self.status.setText(
                translate("MainWindow", "Reading your message… {done} / {total} tokens").format(
                    done=locale_format.number(done), total=locale_format.number(total)
                )
            )

    def _reply_rate(self, message_id: int, tokens: int, rate: float) -> None:
        streaming = self.service.streaming()
        if streaming is None or streaming[0] != message_id:
            return
        bubble = self.chat.bubble(message_id)
        if bubble is None:
            return  # another chat is open: its status isn't this reply's
        self.status.setText(
            translate("MainWindow", "Writing… {rate}").format(rate=locale_format.rate(rate, 0))
            if tokens > 1
            else translate("MainWindow", "Writing…")
        )

    def _reply_finished(self, reply: Message) -> None:
        if reply.conversation_id == self.conversation_id:
            self._show_messages()
            if reply.status == "interrupted":
                self.show_error(
                    translate(
                        "MainWindow",
                        "The model stopped unexpectedly: {error}. The partial "
                        "reply was saved; your next message starts the model again.",
                    ).format(error=reply.error)
                )
        self.refresh_conversations()

    def _can_regenerate(self) -> bool:
        """Not while a reply is written, and not in a chat with nothing to regenerate."""
        if self.service.busy or self.conversation_id is None:
            return False
        return bool(self.service.message_ids(self.conversation_id))

    def _busy_changed(self, busy: bool) -> None:
        self.send_button.setEnabled(not busy)
        self.regenerate_button.setEnabled(not busy and self._can_regenerate())
        self._arm_stop()
        self.refresh_conversations()  # the chat being written in is marked in the list
        self.model_picker.setEnabled(not busy)
        if not busy:
            self.load_bar.hide()

    def _load_progress(self, fraction: float) -> None:
        self.load_bar.show()
        self.load_bar.setValue(int(fraction * 100))
        self.status.setText(
            translate("MainWindow", "Loading model… {percent}%").format(
                percent=locale_format.number(round(fraction * 100))
            )
        )
        if fraction >= 1.0:
            self.load_bar.hide()
            # Loaded: the prompt is read next; the first chunk turns this into "Writing…".
            reading = translate("MainWindow", "Reading your message…")
            self.status.setText(reading if self.service.busy else "")

    # -- settings -----------------------------------------------------------------
    def _model_changed(self, model_id: int | None) -> None:
        if model_id is not None:
            self.service.remember(last_model_id=model_id)
            if self.conversation_id is not None:
                self.service.update_conversation(self.conversation_id, model_id=model_id)
        self._show_template()

    def _show_template(self) -> None:
        model_id = self.current_model_id()
        if model_id is not None and not self.library.template_known(model_id):
            # The header is read off the GUI thread; templateRead brings us back here.
            self.library.read_template(model_id)
            self.settings_panel.show_template(self.model_picker.template_override(), "")
            self.base_model_note.setVisible(False)
        else:
            override, description = self.model_picker.template()
            self.settings_panel.show_template(override, description)
            self.base_model_note.setVisible(self.model_picker.is_plain_completion())
        self.settings_panel.show_threads(
            self.library.threads(model_id) if model_id is not None else None
        )

    def _template_read(self, model_id: int) -> None:
        if model_id == self.current_model_id():
            self._show_template()

    def _settings_edited(self, settings: ChatSettings) -> None:
        if self.conversation_id is not None:
            self.service.update_conversation(self.conversation_id, settings=settings)
            self.chat_actions.settings_changed()

    def _use_as_defaults(self, settings: ChatSettings) -> None:
        self.service.use_as_defaults(settings)
        self.settings_panel.set_defaults(self.service.default_settings())
        self.status.setText(translate("MainWindow", "New chats start from these settings"))

    def _system_prompt_edited(self, text: str) -> None:
        if self.conversation_id is not None:
            self.service.update_conversation(self.conversation_id, system_prompt=text)
            self.chat_actions.settings_changed()

    def _threads_chosen(self, threads: int | None) -> None:
        model_id = self.current_model_id()
        if model_id is not None and self.library.set_threads(model_id, threads):
            self.status.setText(
                translate(
                    "MainWindow", "Threads for this model: {threads} (from its next load)"
                ).format(threads=locale_format.number(threads))
                if threads
                else translate("MainWindow", "Threads for this model: auto (from its next load)")
            )

    def _template_chosen(self, template: str | None) -> None:
        model_id = self.current_model_id()
        if model_id is not None:
            self.library.set_template_override(model_id, template)

    # -- errors -------------------------------------------------------------------
    def _on_chat_page(self) -> bool:
        return self.pages is None or self.tabs.currentWidget() is self.splitter

    def show_error(self, message: str) -> None:
        self.error_banner.show_message(message)
        self._status_error(message)

    def _library_error(self, message: str) -> None:
        """A refusal of the library's (an import, a Save defaults on the Library page):
        from another page it is that page's, said in the status bar only; the chat page's
        banner would keep it after a later save went right."""
        if self._on_chat_page():
            self.error_banner.show_message(message)
        self._status_error(message)

    def _status_error(self, message: str) -> None:
        # The banner is on the chat page; from Compare or Library the status bar says
        # what went wrong, not just that something did.
        if self._on_chat_page():
            self.status.setText(translate("MainWindow", "Error"))
        else:  # for a while, or until that page says something went right
            self.statusBar().showMessage(message, ERROR_MESSAGE_MS)

    def hide_error(self) -> None:
        self.error_banner.hide()

    # -- import -------------------------------------------------------------------
    def import_model_dialog(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self,
            translate("MainWindow", "Import model"),
            str(Path.home()),
            translate("MainWindow", "GGUF models (*.gguf);;All files (*)"),
        )
        if path:
            self.import_model(Path(path))

    def import_model(self, path: Path) -> None:
        """Register a model. An empty chat switches to it; a chat with messages keeps
        its model, and the new one is chosen for the next new chat."""
        record = self.library.import_model(path)
        if record is None:
            return
        self.hide_error()
        chat_has_messages = self.conversation_id is not None and bool(
            self.service.message_ids(self.conversation_id)
        )
        if chat_has_messages:
            self._next_chat_model = record.id
            self.service.remember(last_model_id=record.id)
            self.status.setText(
                translate(
                    "MainWindow",
                    "Imported {name} (left in place: {path}); "
                    "your next new chat uses it (or choose it above for this chat)",
                ).format(name=record.name, path=record.path)
            )
        else:
            self.select_model(record.id)
            self.status.setText(
                translate("MainWindow", "Imported {name} (left in place: {path})").format(
                    name=record.name, path=record.path
                )
            )

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # Qt override
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def show_server(self) -> ServerDialog:
        """Settings > Local server: the API server's switch, port, key, models and
        recent requests (one instance, non-modal: its list is live)."""
        from desktop_llm.ui.server_dialog import ServerDialog

        assert self.server is not None
        if self._server_dialog is None:
            self._server_dialog = ServerDialog(self.server, self)
            self.library.modelsChanged.connect(self._server_dialog.refresh_models)
        self._server_dialog.show()
        self._server_dialog.raise_()
        self._server_dialog.activateWindow()
        return self._server_dialog

    def _server_state(self, state: ServerState) -> None:
        self.server_badge.show_address(state.url if state.running else None)

    def dropEvent(self, event: QDropEvent) -> None:  # Qt override
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.import_model(Path(url.toLocalFile()))
        event.acceptProposedAction()

    def closeEvent(self, event: QCloseEvent) -> None:  # Qt override
        running = [r for r in self.hub.downloads() if r.active] if self.hub else []
        if running:
            answer = QMessageBox.question(
                self,
                translate("MainWindow", "Downloads are running"),
                translate(
                    "MainWindow",
                    "%n download(s) are not finished. Quit anyway?\n\n"
                    "They stop now and continue from where they stopped when you download "
                    "the same files again.",
                    "",
                    len(running),
                ),
            )
            if answer != QMessageBox.StandardButton.Yes:
                event.ignore()
                return
        self.service.shutdown()
        super().closeEvent(event)
        app = QApplication.instance()
        if app is not None:
            app.quit()
