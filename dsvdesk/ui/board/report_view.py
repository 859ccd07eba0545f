"""One Board report open for writing: the generic wizard (autosave, rules, jump-to) with the board
extras around it — the live numbering preview, the Part A preview, "Insert Part A figure" beside every
paragraph, and "Export board pack".

It is a ``RecordView`` (so the main window saves it on close, lock and quit like any record) whose
Submit is replaced by Export: a board report is not reviewed, it is signed and sent to the Board.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk import log
from dsvdesk.engine.completeness import evaluate
from dsvdesk.engine.spec import Severity
from dsvdesk.export.report_pdf import (
    ROLE_BOROUGH,
    ROLE_NOTHING_REASON,
    ROLE_PARAGRAPHS,
    ROLE_REPORT_NUMBER,
    TOKEN,
)
from dsvdesk.reporting import board as logic
from dsvdesk.reporting.pack import PACK_JUSTIFICATION
from dsvdesk.ui import messages
from dsvdesk.ui.board.dialogs import FigurePickerDialog, PackExportDialog, PackResultDialog
from dsvdesk.ui.board.part_a import PartAFeed, PartAPanel
from dsvdesk.ui.board.preview import NumberingPreview, rich_text
from dsvdesk.ui.dialogs.submit import ProblemsDialog
from dsvdesk.ui.ops import Op
from dsvdesk.ui.qt import (
    QBoxLayout,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QResizeEvent,
    QSettings,
    QShortcut,
    QSplitter,
    Qt,
    QTabWidget,
    QTimer,
    QToolButton,
    QWidget,
    Signal,
)
from dsvdesk.ui.record_view import RecordView
from dsvdesk.ui.wizard.blocks import QuestionBlock
from dsvdesk.ui.wizard.editors import RepeatEditor, RepeatItem

if TYPE_CHECKING:
    from dsvdesk.export.report_pdf import BoardReport
    from dsvdesk.reporting.board import ExportOutcome
    from dsvdesk.store.models import Record
    from dsvdesk.ui.context import AppContext

PREVIEW_DELAY_MS = 150  # typing in a paragraph re-numbers the preview once the keys pause
FIGURE_BUTTON = "insertFigureButton"
FIGURE_VALUES = "figureValues"  # the label under a text that quotes Part A figures: the text with values
FOLDER_KEY = "board/export_folder"
# The right column (summary and checks above, numbering preview / Part A below): its width as
# (least, most, share of the view's width), and the share of its height the summary keeps on a short
# screen (1366x768 at 150%: the Part A table below needs the rows).
RIGHT_WIDTH = (230, 420, 0.29)
PAGES_WIDTH = (110, 230, 0.15)  # the page list: a little narrower than a 124D's, for the paragraphs
SHORT_COLUMN = 560  # px: below this height the summary gives the panel below most of the room
SUMMARY_SHARE_WHEN_SHORT = 0.25
SUMMARY_HEIGHT = 290
# Questions whose text may quote Part A figures (their tokens are resolved in the exported report).
FIGURE_ROLES = frozenset({ROLE_PARAGRAPHS, ROLE_NOTHING_REASON})


def _question_id_by_role(record: Record, role: str) -> str | None:
    for _s, _p, question in record.spec.iter_questions():
        if question.tag_value(logic.BOARD_TAG) == role:
            return question.id
    return None


class BoardReportView(RecordView):
    exported = Signal(object)  # ExportOutcome, after the pack was written and verified

    def __init__(self, context: AppContext, record: Record, parent: QWidget | None = None) -> None:
        super().__init__(context, record, parent)
        self.setObjectName("boardReportView")
        # A board report is not submitted for review: it is exported, signed, to the Board.
        self.submit_button.setVisible(False)
        self.submit_button.setEnabled(False)
        self.exporting = False
        self.last_outcome: ExportOutcome | None = None
        self.result_dialog: PackResultDialog | None = None

        self.feed = PartAFeed(context, self)
        self.preview = NumberingPreview(self)
        self.part_a_panel = PartAPanel(self.feed, self)
        self.side_tabs = QTabWidget(self)
        self.side_tabs.setObjectName("boardSideTabs")
        self.side_tabs.addTab(self.preview, "Preview")  # its heading says "Numbering by question"
        self.side_tabs.addTab(self.part_a_panel, "Part A figures")
        self.side_tabs.currentChanged.connect(self._side_tab_shown)
        self.side_tabs.currentChanged.connect(lambda _i: self.share_right_column())

        # The rules and summary (wizard's right panel) above, the board panels below, in one column.
        wizard = self.wizard
        right = QSplitter(Qt.Orientation.Vertical, wizard.splitter)
        right.setObjectName("boardRightColumn")
        wizard.splitter.insertWidget(2, right)
        wizard.risk_panel.setMaximumWidth(16777215)
        right.addWidget(wizard.risk_panel)
        right.addWidget(self.side_tabs)
        right.setStretchFactor(0, 0)
        right.setStretchFactor(1, 1)
        right.setSizes([290, 420])
        right.setMinimumWidth(RIGHT_WIDTH[0])
        self.right_column = right
        wizard.panel_width = RIGHT_WIDTH  # the page keeps room for a paragraph's buttons at 784 px
        wizard.pages_width = PAGES_WIDTH
        wizard.splitter.setStretchFactor(2, 0)
        wizard.splitter.setSizes([210, 610, 420])

        self.figure_button = wizard.add_action_button(
            "Insert Part A &figure…", accessible_name="Insert a Part A figure at the cursor"
        )
        self.figure_button.setObjectName("insertFigureAction")
        # Clicking must leave the keyboard in the paragraph being written: the token goes at its cursor.
        self.figure_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.figure_button.setToolTip("Insert a Part A figure at the cursor (Ctrl+Shift+F)")
        self.figure_button.clicked.connect(lambda: self.insert_figure(self.focusWidget()))
        self.export_button = wizard.add_action_button(
            "E&xport board pack…", accessible_name="Export the board pack"
        )
        self.export_button.setObjectName("exportPackButton")
        self.export_button.clicked.connect(self.export_pack)
        shortcut = QShortcut(QKeySequence("Ctrl+Shift+F"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(lambda: self.insert_figure(self.focusWidget()))

        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self.refresh_preview)
        wizard.answer_changed.connect(lambda _id, _value: self._preview_timer.start())
        wizard.page_changed.connect(self._page_shown)
        wizard.evaluated.connect(lambda _evaluation: self._decorate_paragraphs())
        # Deferred: refresh_preview itself asks the feed for figures, which reports back through `changed`.
        self.feed.changed.connect(self._preview_timer.start)
        self._sync_read_only()
        self.refresh_preview()
        self._decorate_paragraphs()

    # --- title --------------------------------------------------------------------------------------
    def title(self) -> str:
        """'Board report 3 — Islington' from the report's header answers."""
        number_id = _question_id_by_role(self.record, ROLE_REPORT_NUMBER)
        borough_id = _question_id_by_role(self.record, ROLE_BOROUGH)
        number = self.wizard.value_of(number_id) if number_id else None
        borough = self.wizard.value_of(borough_id) if borough_id else None
        head = (
            f"Board report {str(number).strip()}"
            if isinstance(number, str) and number.strip()
            else "Board report"
        )
        return (
            f"{head} — {borough.strip()}" if isinstance(borough, str) and borough.strip() else f"{head} — new"
        )

    def _sync_read_only(self) -> None:
        editable = not self.wizard.read_only
        self.figure_button.setVisible(editable)
        self.export_button.setVisible(True)  # a read-only report (someone else's) can still be exported

    # --- the report model and preview -------------------------------------------------------------
    def report(self) -> BoardReport:
        return logic.build_report(
            self.record.spec, self.wizard.answers(), report_id=self.record_id, revision=self.record.revision
        )

    def _current_question_id(self) -> str | None:
        page_id = self.wizard.current_page_id
        page = next((p for p in self.record.spec.pages if p.id == page_id), None)
        question = logic.paragraphs_question(page) if page is not None else None
        return question.id if question is not None else None

    def figure_map(self, report: BoardReport | None = None) -> dict[str, str] | None:
        """Value per Part A key for the report's period (with its entered figures), or None if not ready."""
        report = report or self.report()
        if not self.feed.ready or self.feed.part_a is None or self.feed.period != logic.report_period(report):
            return None
        return self.feed.part_a.with_entered(report.entered).figure_map()

    def refresh_preview(self) -> None:
        self._preview_timer.stop()
        report = self.report()
        period = logic.report_period(report)
        self.part_a_panel.set_entered(report.entered)
        uses_figures = logic.has_tokens(report)
        # Compute only when something needs the figures: each computation is a logged consultation.
        if uses_figures or self.side_tabs.currentWidget() is self.part_a_panel:
            self.feed.want(period)
        else:
            self.feed.set_period(period)
        preview = logic.report_preview(self.record.spec, report)
        figures = self.figure_map(report)
        if not uses_figures:
            note = ""
        elif figures is not None:
            note = "Part A references are shown with their values for the report's period (highlighted)."
        else:
            note = self.feed.status()
        self.preview.show_preview(
            preview,
            logic.progress(self.record.spec, preview),
            question_id=self._current_question_id(),
            figures=figures,
            figures_note=note,
        )
        self._show_figure_values(figures)

    # --- Part A values in the editor ----------------------------------------------------------------
    def _show_figure_values(self, figures: dict[str, str] | None) -> None:
        """Under every text on the page that quotes Part A figures, the text as it will read: each
        ``{{partA.key}}`` shown with its value, resolved as the preview and the exported PDF resolve it."""
        page = next((p for p in self.record.spec.pages if p.id == self.wizard.current_page_id), None)
        if page is None:
            return
        for question in page.questions:
            block = self.wizard.block(question.id)
            editor = block.editor
            if isinstance(editor, RepeatEditor):
                for index in range(len(editor.value() or [])):
                    try:
                        item = editor.item_box(index)
                    except IndexError:
                        break
                    texts = [e.value() for e in item.editors.values()]
                    self._figure_label(item, texts, figures)
            elif editor is not None:
                self._figure_label(block, [editor.value()], figures)

    def _figure_label(self, holder: QWidget, texts: list[Any], figures: dict[str, str] | None) -> None:
        quoting = [t for t in texts if isinstance(t, str) and TOKEN.search(t)]
        label = holder.findChild(QLabel, FIGURE_VALUES)
        if not quoting:
            if label is not None:
                label.setVisible(False)
            return
        if label is None:
            label = QLabel(holder)
            label.setObjectName(FIGURE_VALUES)
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout = holder.layout()
            if isinstance(layout, QBoxLayout):
                layout.insertWidget(1 if isinstance(holder, RepeatItem) else layout.count(), label)
        state = "" if figures is not None else f" <i>({self.feed.status()})</i>"
        label.setText(
            "<span style='color:#52606d'>Reads as:</span> "
            + "<br>".join(rich_text(t, figures) for t in quoting)
            + state
        )
        label.setAccessibleName("The text with Part A values: " + label.text())
        label.setVisible(True)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().height() != event.oldSize().height():
            self.share_right_column()

    def share_right_column(self) -> None:
        """The summary keeps its height on a tall screen; on a short one (1366x768 at 150%) the panel
        below gets most of the column (the summary scrolls), and Part A all of it (the summary folds
        away while the figures are shown, and comes back with the preview or by dragging the handle)."""
        height = self.right_column.height()
        if height <= 0:
            return
        if height >= SHORT_COLUMN:
            top = SUMMARY_HEIGHT
        elif self.side_tabs.currentWidget() is self.part_a_panel:
            top = 0  # the table needs every row it can get; the handle brings the summary back
        else:
            top = int(height * SUMMARY_SHARE_WHEN_SHORT)
        self.right_column.setSizes([top, max(0, height - top)])

    def _side_tab_shown(self, _index: int) -> None:
        if self.side_tabs.currentWidget() is self.part_a_panel:
            self.feed.want(logic.report_period(self.report()))

    def _page_shown(self, _page_id: str) -> None:
        self.refresh_preview()
        self._decorate_paragraphs()

    # --- "Insert Part A figure" -------------------------------------------------------------------
    def _decorate_paragraphs(self) -> None:
        """Give every paragraph of the page on screen its own "Insert Part A figure" button (the repeat
        editor rebuilds its items on add, move and remove, so this runs after each change)."""
        question_id = self._current_question_id()
        if question_id is None or self.wizard.read_only:
            return
        editor = self.wizard.block(question_id).editor
        if not isinstance(editor, RepeatEditor):
            return
        text_id = logic.text_field_id(editor.question)
        for index in range(len(editor.value() or [])):
            try:
                item = editor.item_box(index)
            except IndexError:
                break
            if item.property(FIGURE_BUTTON):
                continue
            self._add_figure_button(item, text_id)

    def _add_figure_button(self, item: RepeatItem, text_id: str) -> None:
        field_editor = item.editors.get(text_id)
        if field_editor is None:
            return
        layout = item.layout()
        if not isinstance(layout, QBoxLayout) or layout.count() == 0:
            return
        button = QToolButton(item)
        button.setObjectName(FIGURE_BUTTON)
        button.setText("Insert Part A figure…")
        button.setToolTip("Insert a Part A figure at the cursor in this paragraph (Ctrl+Shift+F)")
        button.setAccessibleName(f"Insert a Part A figure into {item.title()}")
        target = field_editor.focus_target()
        button.clicked.connect(lambda _c=False, t=target: self.insert_figure(t))
        # its own row above Move up / Move down / Remove: four buttons in one row made the paragraph
        # page scroll sideways in a 784-px window
        row = QHBoxLayout()
        row.addWidget(button)
        row.addStretch(1)
        layout.insertLayout(layout.count() - 1, row)
        item.setProperty(FIGURE_BUTTON, True)

    def insert_figure(self, target: QWidget | None) -> None:
        """Ask which figure, then put its ``{{partA.key}}`` reference at the cursor of ``target``."""
        if self.wizard.read_only:
            return
        if not self._takes_figures(target):
            messages.info(
                self,
                "Insert Part A figure",
                "Put the cursor in a paragraph (or its sub-heading, or the reason) where the figure should go, "
                "then choose Insert Part A figure.",
            )
            return
        period = logic.report_period(self.report())
        if period is None:
            messages.info(
                self,
                "Insert Part A figure",
                "Set the period covered (from and to) on the Report details page first: the Part A figures are "
                "computed for that period.",
            )
            return
        assert isinstance(target, QPlainTextEdit | QLineEdit)  # _takes_figures said so
        self.feed.want(period, then=lambda: self._pick_and_insert(target))

    def _takes_figures(self, target: QWidget | None) -> bool:
        """A text box of a paragraph (text or sub-heading) or of a "nothing to report" reason: the texts
        whose references the export resolves. Never a header field such as the borough."""
        if (
            not isinstance(target, QPlainTextEdit | QLineEdit)
            or target.isReadOnly()
            or not self.isAncestorOf(target)
        ):
            return False
        widget: QWidget | None = target
        while widget is not None and widget is not self:
            if isinstance(widget, QuestionBlock):
                return widget.question.tag_value(logic.BOARD_TAG) in FIGURE_ROLES
            widget = widget.parentWidget()
        return False

    def _pick_and_insert(self, target: QPlainTextEdit | QLineEdit) -> None:
        try:
            target.isReadOnly()
        except RuntimeError:  # the paragraph was removed while the figures were computed
            return
        if self.feed.error or not self.feed.ready:
            messages.error(self, "Part A figures", self.feed.status())
            return
        report = self.report()
        assert self.feed.part_a is not None and self.feed.period is not None
        part_a = self.feed.part_a.with_entered(report.entered)
        key = FigurePickerDialog.ask(
            self, logic.figure_choices(part_a), period_label=self.feed.period.label, message=part_a.message
        )
        if key is None:
            return
        token = logic.token_for(key)
        if isinstance(target, QPlainTextEdit):
            target.insertPlainText(token)
        else:
            target.insert(token)
        target.setFocus(Qt.FocusReason.OtherFocusReason)
        self.refresh_preview()

    # --- export -----------------------------------------------------------------------------------
    def _settings(self) -> QSettings:
        return QSettings(str(self.context.ui_state.path), QSettings.Format.IniFormat)

    def _default_folder(self) -> Path:
        remembered = self._settings().value(FOLDER_KEY, "")
        if isinstance(remembered, str) and remembered and Path(remembered).is_dir():
            return Path(remembered)
        import platformdirs

        documents = Path(platformdirs.user_documents_dir())
        return documents if documents.is_dir() else Path.home()

    def export_pack(self) -> None:
        if self.exporting:
            return
        if not self.flush():
            messages.error(
                self,
                "Not saved yet",
                "Your latest changes are not saved yet, so the pack cannot be exported. Try again in a moment.",
            )
            return
        check = evaluate(self.record.spec, self.wizard.answers())
        errors = [f for f in check.findings if f.severity == Severity.ERROR]
        if errors:
            self.wizard.show_all_problems = True
            self.wizard.visited.update(self.wizard.visible_page_ids())
            self.wizard.rebase(self.wizard.answers())
            titles = {p.id: p.title for p in self.record.spec.pages}
            chosen = ProblemsDialog.ask(
                self, errors, titles, title="Not ready to export", before="exporting the board pack"
            )
            if chosen is not None:
                self.wizard.jump_to_finding(chosen)
            return
        request = PackExportDialog.ask(
            self,
            report_label=self.title(),
            folder=self._default_folder(),
            justification=PACK_JUSTIFICATION,
            justification_editable=True,
        )
        if request is None:
            return
        settings = self._settings()
        settings.setValue(FOLDER_KEY, str(request.folder))
        settings.sync()
        self.exporting = True
        self.export_button.setEnabled(False)
        self.status_message.emit("Exporting and signing the board pack…")
        context, record_id = self.context, self.record_id
        Op(
            self,
            lambda: logic.export_and_verify(
                context.db_path,
                context.session,
                record_id,
                request.folder,
                password=request.password,
                specs=context.forms,
                justification=request.justification,
            ),
            label="Computing Part A, signing and writing the board pack…",
        ).success(self._exported).failure(self._export_failed).run()

    def _exported(self, outcome: ExportOutcome) -> None:
        try:
            self.exporting = False
            self.export_button.isEnabled()
        except RuntimeError:  # the tab was closed meanwhile: the pack is written; nothing to show it in
            log.ui.info("board pack exported for report %s after its tab was closed", self.record_id)
            return
        self.export_button.setEnabled(True)
        self.last_outcome = outcome
        verification = outcome.verification
        log.ui.info("board pack exported for report %s; verified: %s", self.record_id, verification.ok)
        self.status_message.emit(f"Board pack written: {outcome.result.zip_path}")
        self.result_dialog = PackResultDialog.present(
            self,
            folder=outcome.result.folder,
            zip_path=outcome.result.zip_path,
            lines=verification.lines(),
            ok=verification.ok,
        )
        self.records_changed.emit()
        self.exported.emit(outcome)

    def _export_failed(self, _exc: BaseException) -> Any:
        self.exporting = False
        self.export_button.setEnabled(True)
        self.status_message.emit("The board pack was not exported")
        return None  # the default message (the core's own words, or the calm "unexpected" one)
