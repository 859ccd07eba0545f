"""The main window: marking banners, a tab area (Home, open records, screens added by other parts),
the idle lock, and the window size remembered between runs.

Extension point: every module in ``dsvdesk/ui/screens/`` with an ``install(window)`` function is called
once the window is built (sorted by module name); it may call ``window.add_tab(...)``,
``window.add_menu_action(...)`` and connect to ``window.records_changed``. Nothing here names them.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import TYPE_CHECKING

from dsvdesk import __version__, log
from dsvdesk.errors import UserFacingError
from dsvdesk.ui import messages
from dsvdesk.ui.context import AppContext, offered_forms
from dsvdesk.ui.dialogs.justification import JustificationDialog
from dsvdesk.ui.home import HomeTab
from dsvdesk.ui.lock import IdleWatcher, LockScreen
from dsvdesk.ui.marking import MarkingBanner
from dsvdesk.ui.qt import (
    QAction,
    QCloseEvent,
    QKeySequence,
    QLabel,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    Signal,
)
from dsvdesk.ui.record_view import RecordView

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store.models import RecordRow


PREFERRED_WIDTH, PREFERRED_HEIGHT = 1280, 820  # the first size, when the screen has room for it
MIN_WIDTH, MIN_HEIGHT = 640, 420
FRAME_ALLOWANCE = (16, 40)  # window borders and title bar, added by the window manager
AUTO_MNEMONIC = "dsvdeskPlainText"  # a menu item's text before DSVDesk gave it an Alt+letter


class MainWindow(QMainWindow):
    records_changed = Signal()  # something was saved/submitted: lists should refresh
    signed_out = Signal()

    def __init__(self, context: AppContext, *, install_screens: bool = True) -> None:
        super().__init__()
        self.context = context
        self.setObjectName("mainWindow")
        user = context.session.user
        self.setWindowTitle(f"DSVDesk — {user.full_name} ({user.role})")
        # Small enough for a 1366x768 screen at 150% (911x485 usable) and 1920x1080 at 200% (960x520).
        self.setMinimumSize(MIN_WIDTH, MIN_HEIGHT)

        central = QWidget(self)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        outer.addWidget(MarkingBanner(central))
        self.stack = QStackedWidget(central)
        self.tabs = QTabWidget(self.stack)
        self.tabs.setObjectName("mainTabs")
        self.tabs.setTabsClosable(True)
        self.tabs.setDocumentMode(True)
        self.tabs.tabCloseRequested.connect(self.close_tab)
        self.stack.addWidget(self.tabs)
        self.lock_screen = LockScreen(user.full_name, user.username, self._check_password, self.stack)
        self.lock_screen.unlocked.connect(self.unlock)
        self.lock_screen.sign_out_requested.connect(self.sign_out)
        self.stack.addWidget(self.lock_screen)
        outer.addWidget(self.stack, 1)
        outer.addWidget(MarkingBanner(central))
        self.setCentralWidget(central)

        self.user_label = QLabel(f"{user.full_name} · {user.role} · {context.db_path.name}", self)
        self.statusBar().addPermanentWidget(self.user_label)

        self.forms = offered_forms(context.forms) if context.role != "admin" else []
        self.home: HomeTab | None = None
        if context.role != "admin":
            self.home = HomeTab(context, self.new_record, self.open_record, self.forms, self.tabs)
            self.tabs.addTab(self.home, "&My forms")
            self._unclosable(0)
            # Saves happen on every keystroke pause; the list is re-queried only when it is looked at.
            self.records_changed.connect(self._home_changed)
            self.tabs.currentChanged.connect(self._tab_shown)
        # Admins get no record tabs: their Administration tab comes from dsvdesk/ui/admin (screens/admin.py).

        self._build_menus()
        self.locked = False
        self.signing_out = False  # set by sign_out(): the app returns to the sign-in window
        settings = context.store.get_settings()
        self.idle = IdleWatcher(settings.idle_lock_minutes, self)
        self.idle.idle.connect(self.lock)

        geometry = context.ui_state.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(PREFERRED_WIDTH, PREFERRED_HEIGHT)
        self.fit_to_screen()
        if install_screens:
            self._install_screens()

    def fit_to_screen(self) -> None:
        """Keep the window on the screen it opens on: never larger than the screen's available area
        (the taskbar excluded), and moved back inside it. A remembered size is kept when it fits."""
        area = self.screen().availableGeometry()
        # the title bar and borders are not known before the window is shown: leave room for them
        width = min(self.width(), max(MIN_WIDTH, area.width() - FRAME_ALLOWANCE[0]))
        height = min(self.height(), max(MIN_HEIGHT, area.height() - FRAME_ALLOWANCE[1]))
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        x = min(max(self.x(), area.left()), max(area.left(), area.right() - width - FRAME_ALLOWANCE[0]))
        y = min(max(self.y(), area.top()), max(area.top(), area.bottom() - height - FRAME_ALLOWANCE[1]))
        if (x, y) != (self.x(), self.y()):
            self.move(x, y)

    # --- menus and extension points ----------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.menus: dict[str, QMenu] = {"file": file_menu}
        for spec in self.forms:
            from dsvdesk.ui.context import new_button_text

            action = QAction(f"{new_button_text(spec)}…", self)
            action.triggered.connect(lambda _c=False, s=spec: self.new_record(s))
            file_menu.addAction(action)
        if self.forms:
            file_menu.addSeparator()
        close_tab = QAction("&Close form", self)
        close_tab.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close_tab.triggered.connect(lambda: self.close_tab(self.tabs.currentIndex()))
        file_menu.addAction(close_tab)
        lock = QAction("&Lock now", self)
        lock.setShortcut(QKeySequence("Ctrl+L"))
        lock.triggered.connect(self.lock)
        file_menu.addAction(lock)
        sign_out = QAction("Sign &out", self)
        sign_out.setShortcut(QKeySequence("Ctrl+Shift+L"))  # beside Lock (Ctrl+L): hand the PC over
        sign_out.triggered.connect(self.sign_out)
        file_menu.addAction(sign_out)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu("&Help")
        self.menus["help"] = help_menu
        where = QAction("Where is the &log file?", self)
        where.triggered.connect(
            lambda: messages.info(
                self, "Log file", f"DSVDesk writes its log (no personal data) to:\n{log.log_file_path()}"
            )
        )
        help_menu.addAction(where)
        about = QAction("&About DSVDesk", self)
        about.triggered.connect(
            lambda: messages.info(
                self, "About DSVDesk", f"DSVDesk {__version__}\nDatabase: {self.context.db_path}"
            )
        )
        help_menu.addAction(about)
        for menu in (file_menu, help_menu):
            self.settle_mnemonics(menu)

    def add_tab(self, widget: QWidget, title: str, *, closable: bool = False, select: bool = False) -> int:
        """Other screens (review queue, dashboard, board report) add their tab here."""
        index = self.tabs.addTab(widget, title)
        if not closable:
            self._unclosable(index)
        if select:
            self.tabs.setCurrentIndex(index)
        return index

    def add_menu_action(
        self, menu: str, text: str, slot: Callable[[], None], *, shortcut: str = ""
    ) -> QAction:
        """Add an action to a menu ("file", "help", or a new top-level menu by that name)."""
        target = self.menus.get(menu)
        if target is None:
            target = self.menuBar().addMenu(menu)
            self.menus[menu] = target
            self.settle_mnemonics(self.menuBar())
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        target.addAction(action)
        self.settle_mnemonics(target)
        return action

    def settle_mnemonics(self, menu: QWidget) -> None:
        """Every item of ``menu`` gets its own Alt+letter: texts the code marked ("&Quit") keep theirs;
        the others (a "New …" per form, a menu named by a screen) get a letter not taken, picked again
        whenever the menu changes, so an item added later with its own letter always keeps it."""
        from dsvdesk.ui.mnemonics import mnemonic, with_mnemonic

        actions = [a for a in menu.actions() if not a.isSeparator() and a.text()]
        for action in actions:
            if action.property(AUTO_MNEMONIC) is None and mnemonic(action.text()) is None:
                action.setProperty(AUTO_MNEMONIC, action.text())
        chosen = [a for a in actions if a.property(AUTO_MNEMONIC) is None]
        taken = [letter for a in chosen if (letter := mnemonic(a.text()))]
        for action in actions:
            if action.property(AUTO_MNEMONIC) is None:
                continue
            text = with_mnemonic(str(action.property(AUTO_MNEMONIC)), taken)
            action.setText(text)
            if letter := mnemonic(text):
                taken.append(letter)

    def _home_changed(self) -> None:
        if self.home is None:
            return
        if self.tabs.currentWidget() is self.home:
            self.home.refresh()
        else:
            self.home.stale = True

    def _tab_shown(self, _index: int) -> None:
        if self.home is not None and self.tabs.currentWidget() is self.home and self.home.stale:
            self.home.refresh()

    def _unclosable(self, index: int) -> None:
        bar = self.tabs.tabBar()
        for side in (bar.ButtonPosition.RightSide, bar.ButtonPosition.LeftSide):
            button = bar.tabButton(index, side)
            if button is not None:
                button.resize(0, 0)
                button.hide()

    def _install_screens(self) -> None:
        import dsvdesk.ui.screens as screens_pkg

        for info in sorted(pkgutil.iter_modules(screens_pkg.__path__), key=lambda m: m.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"dsvdesk.ui.screens.{info.name}")
            install = getattr(module, "install", None)
            if callable(install):
                install(self)

    # --- records -----------------------------------------------------------------------------------
    def record_views(self) -> list[RecordView]:
        return [w for i in range(self.tabs.count()) if isinstance(w := self.tabs.widget(i), RecordView)]

    def new_record(self, spec: FormSpec) -> RecordView | None:
        try:
            record_id = self.context.create_record(spec)
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
            return None
        log.ui.info("created record %s of form %s", record_id, spec.id)
        self.records_changed.emit()
        return self.open_record(record_id)

    def open_record(self, record_id: str, row: RecordRow | None = None) -> RecordView | None:
        """Open a record in a tab (or show its tab). ``row`` (from any list) names the owner and victim
        when a reason is needed to open someone else's record."""
        for view in self.record_views():
            if view.record_id == record_id:
                self.tabs.setCurrentWidget(view)
                return view
        from dsvdesk.store.errors import JustificationRequired

        try:
            try:
                record = self.context.open_record(record_id)
            except JustificationRequired:
                row = row or self._row_for(record_id)
                owner = row.owner_name if row is not None else "another user"
                label = (
                    f"The record for {row.victim_name}"
                    if row is not None and row.victim_name
                    else "This record"
                )
                reason = JustificationDialog.ask(self, label, owner)
                if reason is None:
                    return None
                record = self.context.open_record(record_id, justification=reason)
        except UserFacingError as exc:
            messages.error(self, exc.title, exc.message)
            return None
        view = RecordView(self.context, record, self.tabs)
        view.records_changed.connect(self.records_changed)
        view.status_message.connect(lambda text: self.statusBar().showMessage(text))
        view.title_changed.connect(lambda title, v=view: self._retitle(v, title))
        index = self.tabs.addTab(view, view.title())
        self.tabs.setCurrentIndex(index)
        view.focus_first()
        return view

    def _row_for(self, record_id: str) -> RecordRow | None:
        if self.home is None:
            return None
        row = self.home.model.row_of(record_id)
        found: RecordRow | None = self.home.model.record_at(row) if row >= 0 else None
        return found

    def _retitle(self, view: RecordView, title: str) -> None:
        index = self.tabs.indexOf(view)
        if index >= 0:
            self.tabs.setTabText(index, title)

    def close_tab(self, index: int) -> bool:
        widget = self.tabs.widget(index)
        if not isinstance(widget, RecordView):
            return False
        if not widget.flush() and not messages.confirm(
            self,
            "Not saved",
            "The latest changes to this form could not be saved yet. Close it anyway and lose them?",
            yes_text="Close and &lose them",
            no_text="&Keep it open",
        ):
            return False
        self.tabs.removeTab(index)
        widget.deleteLater()
        return True

    # --- lock --------------------------------------------------------------------------------------
    def lock(self) -> None:
        if self.locked:
            return
        for view in self.record_views():
            view.flush()
        self.locked = True
        self.idle.pause()
        self.stack.setCurrentWidget(self.lock_screen)
        self.menuBar().setEnabled(False)
        self.lock_screen.reset()
        log.ui.info("window locked after inactivity or on request")

    def unlock(self) -> None:
        self.locked = False
        self.stack.setCurrentWidget(self.tabs)
        self.menuBar().setEnabled(True)
        self.idle.poke()
        current = self.tabs.currentWidget()
        if isinstance(current, RecordView):
            current.focus_first()

    def _check_password(self, password: str) -> None:
        self.context.store.login(self.context.session.user.username, password, hold_key=False)

    def sign_out(self) -> None:
        """Save, close and hand the PC back: ``run_app`` shows the sign-in window again (issue 20).
        ``signed_out`` fires only once the window has really closed (nothing unsaved was kept open)."""
        self.signing_out = True
        if self.close():
            self.signed_out.emit()
        else:
            self.signing_out = False

    # --- closing -----------------------------------------------------------------------------------
    def _save_all(self) -> bool:
        unsaved = [view for view in self.record_views() if not view.flush()]
        if not unsaved:
            return True
        return messages.confirm(
            self,
            "Not saved",
            "Some changes could not be saved yet (see the message shown earlier). Quit anyway and lose them?",
            yes_text="Quit and &lose them",
            no_text="&Stay",
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._save_all():
            event.ignore()
            return
        self.context.ui_state.set_window_geometry(self.saveGeometry())
        self.idle.uninstall()
        try:
            self.context.store.logout(self.context.session)
        except UserFacingError:
            log.ui.info("sign-out could not be recorded (database unavailable)")
        event.accept()
