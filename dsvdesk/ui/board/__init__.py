"""The Board report in the app (issue 8): the supervisors' "Board reports" tab, the report wizard with
its numbering and Part A previews, "Insert Part A figure", and "Export board pack".

``install(window)`` (called from ``dsvdesk/ui/screens/board.py``) wires it into the main window through
its extension points only. A board report opened from anywhere else (e.g. "My forms") is shown in the
report wizard too, never in the plain record view whose Submit would send it for review.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsvdesk import log
from dsvdesk.errors import UserFacingError
from dsvdesk.reporting.board import is_report_form, report_forms
from dsvdesk.ui import messages
from dsvdesk.ui.board.dialogs import FigurePickerDialog, PackExportDialog, PackRequest, PackResultDialog
from dsvdesk.ui.board.report_view import BoardReportView
from dsvdesk.ui.board.reports_tab import BoardReportsTab
from dsvdesk.ui.qt import QObject
from dsvdesk.ui.record_view import RecordView

if TYPE_CHECKING:
    from dsvdesk.engine.spec import FormSpec
    from dsvdesk.store.models import Record
    from dsvdesk.ui.main_window import MainWindow

__all__ = [
    "BoardHooks",
    "BoardReportView",
    "BoardReportsTab",
    "FigurePickerDialog",
    "PackExportDialog",
    "PackRequest",
    "PackResultDialog",
    "install",
]


class BoardHooks(QObject):
    """Lives as long as the window: the reports tab, and opening reports in the report wizard."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.setObjectName("boardHooks")
        self.window = window
        self.forms = report_forms(window.context.forms)
        self.tab: BoardReportsTab | None = None
        if window.context.is_supervisor:
            self.tab = BoardReportsTab(
                window.context,
                self.forms,
                on_new=self.new_report,
                on_open=self.open_report,
                on_export=self.export_report,
                parent=window.tabs,
            )
            window.add_tab(self.tab, "&Board reports")
            window.records_changed.connect(self._records_changed)
        window.tabs.currentChanged.connect(self._tab_shown)

    # --- the list ---------------------------------------------------------------------------------
    def _records_changed(self) -> None:
        if self.tab is None:
            return
        if self.window.tabs.currentWidget() is self.tab:
            self.tab.refresh()
        else:
            self.tab.stale = True

    def _tab_shown(self, index: int) -> None:
        widget = self.window.tabs.widget(index)
        if widget is not None and widget is self.tab and self.tab.stale:
            self.tab.refresh()
        elif type(widget) is RecordView and is_report_form(widget.record.spec):
            self._replace_plain_view(widget)

    # --- report views -----------------------------------------------------------------------------
    def report_views(self) -> list[BoardReportView]:
        tabs = self.window.tabs
        return [w for i in range(tabs.count()) if isinstance(w := tabs.widget(i), BoardReportView)]

    def new_report(self, spec: FormSpec) -> BoardReportView | None:
        context = self.window.context
        try:
            record_id = context.create_record(spec)
        except UserFacingError as exc:
            messages.error(self.window, exc.title, exc.message)
            return None
        log.ui.info("created board report %s", record_id)
        self.window.records_changed.emit()
        return self.open_report(record_id)

    def open_report(self, record_id: str) -> BoardReportView | None:
        for view in self.report_views():
            if view.record_id == record_id:
                self.window.tabs.setCurrentWidget(view)
                return view
        try:
            record = self.window.context.open_record(record_id)
        except UserFacingError as exc:
            messages.error(self.window, exc.title, exc.message)
            return None
        return self._show(record)

    def export_report(self, record_id: str) -> None:
        view = self.open_report(record_id)
        if view is not None:
            view.export_pack()

    def _show(self, record: Record) -> BoardReportView:
        window = self.window
        view = BoardReportView(window.context, record, window.tabs)
        view.records_changed.connect(window.records_changed)
        view.status_message.connect(lambda text: window.statusBar().showMessage(text))
        view.title_changed.connect(lambda title, v=view: self._retitle(v, title))
        window.add_tab(view, view.title(), closable=True, select=True)
        view.focus_first()
        log.ui.info("board report %s opened in the report wizard", record.id)
        return view

    def _retitle(self, view: BoardReportView, title: str) -> None:
        index = self.window.tabs.indexOf(view)
        if index >= 0:
            self.window.tabs.setTabText(index, title)

    def _replace_plain_view(self, view: RecordView) -> None:
        """A report opened through the generic path (e.g. "My forms") moves into the report wizard; the
        record it already read is reused, so opening it is logged once."""
        tabs = self.window.tabs
        index = tabs.indexOf(view)
        if index < 0:
            return
        view.flush()
        tabs.removeTab(index)
        view.deleteLater()
        self._show(view.record)


def install(window: MainWindow) -> BoardHooks:
    hooks = BoardHooks(window)
    window.board_hooks = hooks  # type: ignore[attr-defined]  # tests reach the hooks here
    return hooks
