"""``FormWizard``: a complete, keyboard-driven wizard generated from any compiled ``FormSpec``.

Reused by the officer's record view, the supervisor's review screen (read-only, with per-question
comments, reviewer sections shown) and the board-report wizard. It holds the answers in memory, re-runs
the engine's completeness on every change (well under 5 ms) and touches only the widgets whose state
changed. Persisting is the host's choice: pass an ``AnswerSink`` and every change is autosaved
(debounced); without one, listen to ``answer_changed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from dsvdesk.engine.completeness import Evaluation, Finding, FindingCode, evaluate
from dsvdesk.engine.spec import Audience, FormSpec, Page, QuestionType, Severity
from dsvdesk.ui.qt import (
    QHBoxLayout,
    QKeyEvent,
    QKeySequence,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QResizeEvent,
    QScrollArea,
    QShortcut,
    QSplitter,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from dsvdesk.ui.wizard.autosave import AnswerSink, Autosaver
from dsvdesk.ui.wizard.blocks import PageView, QuestionBlock
from dsvdesk.ui.wizard.editors import RepeatEditor
from dsvdesk.ui.wizard.item_fields import ItemFields, conditional_repeats, visible_item_fields
from dsvdesk.ui.wizard.risk_panel import RiskPanel

PAGE_ROLE = int(Qt.ItemDataRole.UserRole) + 1

# Page states shown in the side list.
NOT_VISITED, COMPLETE, HAS_ERRORS = "not visited", "complete", "has errors"
_STATE_MARKS = {NOT_VISITED: "○", COMPLETE: "✓", HAS_ERRORS: "⚠"}


def is_required_finding(finding: Finding) -> bool:
    """'This question needs an answer' findings wait until the officer has left the page (or tried to
    submit): shouting at an empty page the moment it opens helps nobody."""
    return finding.code in (FindingCode.REQUIRED, FindingCode.TOO_FEW_ITEMS)


class WizardButton(QPushButton):
    """A bar button that Enter presses too (not only Space): "Enter on Next advances". It is never a
    dialog's auto-default, so Enter in a field does not press it."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            if self.isEnabled():
                self.click()
            event.accept()
            return
        super().keyPressEvent(event)


class FormWizard(QWidget):
    answer_changed = Signal(str, object)  # answer id (question id or "<id>__comment"), new value
    page_changed = Signal(str)  # page id now shown
    evaluated = Signal(object)  # the engine's Evaluation after each change
    saved = Signal(str)  # "hh:mm:ss" after an autosave commit

    def __init__(
        self,
        spec: FormSpec,
        answers: Mapping[str, Any] | None = None,
        *,
        audiences: Sequence[str] = (Audience.AUTHOR.value,),
        read_only: bool = False,
        sink: AnswerSink | None = None,
        review_comments: Mapping[str, str] | None = None,
        start_page: str | None = None,
        visited: Iterable[str] = (),
        confirm_remove: Callable[[str], bool] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("formWizard")
        self.spec = spec
        self.audiences = tuple(str(a) for a in audiences)
        self.read_only = read_only
        self._answers: dict[str, Any] = dict(answers or {})
        self._review_comments: dict[str, str] = dict(review_comments or {})
        self._confirm_remove = confirm_remove
        # After a submit attempt (or on a record that can no longer change) every page shows its problems.
        self.show_all_problems = read_only
        self.pages: list[Page] = [
            page
            for section in spec.sections
            if section.audience.value in self.audiences or section.audience is Audience.AUTHOR
            for page in section.pages
        ]
        self._page_index = {page.id: i for i, page in enumerate(self.pages)}
        self._section_title = {p.id: s.title for s in spec.sections for p in s.pages}
        self.visited: set[str] = {p for p in visited if p in self._page_index}
        self._views: dict[str, PageView] = {}
        self._scrolls: dict[str, QScrollArea] = {}
        self._page_state: dict[str, tuple[bool, str, bool]] = {}
        self._by_question: dict[str, list[Finding]] = {}
        self._stale_views: set[str] = set()
        self.current_page_id = ""
        # Repeats whose fields have their own show_when, and (per evaluation, worked out only when a page
        # holding one is refreshed) which fields of each item the engine shows.
        self._conditional_repeats = conditional_repeats(spec)
        self._conditional_ids = frozenset(q.id for q in self._conditional_repeats)
        self._item_fields: dict[str, ItemFields] | None = None

        self.autosaver: Autosaver | None = None
        if sink is not None:
            self.autosaver = Autosaver(sink, self)
            self.autosaver.saved.connect(self._on_saved)
            self.autosaver.failed.connect(self._on_save_failed)

        self._build()
        self.evaluation: Evaluation = self._run_engine()
        first = start_page if start_page in self._page_index else None
        self.go_to_page(first or self._first_visible_page())
        self._refresh()

    # ----------------------------------------------------------------- layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.title_label = QLabel(self.spec.title, self)
        self.title_label.setObjectName("formTitle")
        self.title_label.setWordWrap(True)
        outer.addWidget(self.title_label)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.page_list = QListWidget(self.splitter)
        self.page_list.setObjectName("pageList")
        self.page_list.setAccessibleName("Pages of the form: choose one to go to it")
        # Reachable by keyboard: F6 (or Shift+Tab from the first question); Enter goes to the page.
        self.page_list.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.page_list.setAccessibleDescription("F6 moves between this list and the page")
        for page in self.pages:
            item = QListWidgetItem(page.title)
            item.setData(PAGE_ROLE, page.id)
            self.page_list.addItem(item)
        self.page_list.itemActivated.connect(self._page_item_chosen)
        self.page_list.itemClicked.connect(self._page_item_chosen)
        self.page_list.setWordWrap(True)  # long page titles wrap instead of scrolling sideways
        self.page_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.page_list.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.page_list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.page_list.setMinimumWidth(110)
        self.page_list.setMaximumWidth(320)

        self.stack = QStackedWidget(self.splitter)
        self.stack.setObjectName("pageStack")
        labels = [item.label for item in self.spec.summary]
        self._summary_labels = [self._choice_labels_of(item.expression.source) for item in self.spec.summary]
        self._prompt_rules = {r.id for r in self.spec.rules if any(t.name == "prompt" for t in r.tags)}
        self.risk_panel = RiskPanel(labels, self.splitter)
        self.risk_panel.finding_activated.connect(self.jump_to_finding)
        self.risk_panel.setMinimumWidth(150)
        self.risk_panel.setMaximumWidth(340)
        self.splitter.addWidget(self.page_list)
        self.splitter.addWidget(self.stack)
        self.splitter.addWidget(self.risk_panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 0)
        self.splitter.setSizes([250, 640, 270])
        # the right column's (least, most, share of the width): a host with a wider column sets its own
        self.panel_width: tuple[int, int, float] = (150, 300, 0.21)
        self.pages_width: tuple[int, int, float] = (110, 260, 0.17)  # the page list's, the same way
        outer.addWidget(self.splitter, 1)

        bar = QWidget(self)
        bar.setObjectName("wizardBar")
        buttons = QHBoxLayout(bar)
        buttons.setContentsMargins(10, 6, 10, 6)
        self.status_label = QLabel("", bar)
        self.status_label.setObjectName("saveStatus")
        self.status_label.setAccessibleName("Save status")
        buttons.addWidget(self.status_label, 1)
        self.back_button = WizardButton("◀ &Back", bar)
        self.back_button.setToolTip("Previous page (Ctrl+Page Up)")
        self.next_button = WizardButton("&Next ▶", bar)
        self.next_button.setToolTip("Next page (Ctrl+Page Down)")
        for button in (self.back_button, self.next_button):
            button.setAutoDefault(False)  # Enter in a field never presses a button
            buttons.addWidget(button)
        self.actions_layout = QHBoxLayout()
        buttons.addLayout(self.actions_layout)
        self.back_button.clicked.connect(self.previous_page)
        self.next_button.clicked.connect(self.next_page)
        outer.addWidget(bar)

        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for keys, slot in (
            (QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_PageDown), self.next_page),
            (QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_PageUp), self.previous_page),
            (QKeySequence(Qt.Key.Key_F1), self.toggle_help_for_focus),
            (QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_E), self.focus_findings),
            (QKeySequence(Qt.Key.Key_F6), self.toggle_page_list_focus),
        ):
            shortcut = QShortcut(keys, self)
            shortcut.setContext(context)
            shortcut.activated.connect(slot)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Share the width out again when the window is resized: the side lists take a fair part and
        the page keeps the rest, so a page never scrolls sideways on a small or scaled screen."""
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._share_width(event.size().width())

    def _share_width(self, width: int) -> None:
        least, most, part = self.pages_width
        pages = max(least, min(most, int(width * part)))
        low, high, share = self.panel_width
        panel = max(low, min(high, int(width * share)))
        self.splitter.setSizes([pages, max(200, width - pages - panel), panel])
        self.page_list.doItemsLayout()  # wrapped page titles get the height the new width needs

    def add_action_button(self, text: str, *, accessible_name: str = "") -> QPushButton:
        """Hosts add their own actions (Submit, Return, Approve …) to the right of Back/Next."""
        button = WizardButton(text, self)
        button.setAutoDefault(False)
        if accessible_name:
            button.setAccessibleName(accessible_name)
        self.actions_layout.addWidget(button)
        return button

    # ----------------------------------------------------------------- pages
    def _view(self, page_id: str) -> PageView:
        view = self._views.get(page_id)
        if view is None:
            page = self.pages[self._page_index[page_id]]
            view = PageView(page, self._section_title.get(page_id, ""), confirm_remove=self._confirm_remove)
            scroll = QScrollArea(self.stack)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QScrollArea.Shape.NoFrame)
            scroll.setWidget(view)
            scroll.setAccessibleName(page.title)
            for block in view.blocks.values():
                block.load(self._answers)
                block.set_read_only(self.read_only)
                block.set_review_comment(self._review_comments.get(block.question.id, ""))
            view.answer_changed.connect(self._on_answer)
            self.stack.addWidget(scroll)
            self._views[page_id] = view
            self._scrolls[page_id] = scroll
            self._refresh_view(view)
        return view

    def block(self, question_id: str) -> QuestionBlock:
        """The block of a top-level question (its page is built if needed)."""
        page = self.spec.page_of(question_id)
        return self._view(page.id).blocks[question_id]

    def visible_page_ids(self) -> list[str]:
        visible = set(self._visible_pages())
        return [p.id for p in self.pages if p.id in visible]

    def _visible_pages(self) -> set[str]:
        return {p if isinstance(p, str) else p.id for p in self.evaluation.visible_pages}

    def _first_visible_page(self) -> str:
        visible = self.visible_page_ids()
        return visible[0] if visible else self.pages[0].id

    def go_to_page(self, page_id: str) -> None:
        if page_id not in self._page_index:
            return
        previous = self.current_page_id
        if previous and previous != page_id:
            self.visited.add(previous)  # leaving a page is what makes its missing answers count
        view = self._view(page_id)
        self.current_page_id = page_id
        if page_id in self._stale_views:
            self._refresh_view(view)
        self.stack.setCurrentWidget(self._scrolls[page_id])
        row = self._page_index[page_id]
        self.page_list.blockSignals(True)
        self.page_list.setCurrentRow(row)
        self.page_list.blockSignals(False)
        if previous:
            self._refresh()
        self._update_nav()
        if previous != page_id:
            self.page_changed.emit(page_id)
            target = view.first_focus()
            if target is not None and self.isVisible():
                target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _neighbour(self, step: int) -> str | None:
        visible = self.visible_page_ids()
        if self.current_page_id not in visible:
            # the current page just became hidden: move relative to its place in the full list
            index = self._page_index[self.current_page_id]
            candidates = [p for p in visible if (self._page_index[p] > index) == (step > 0)]
            if not candidates:
                return None
            return candidates[0] if step > 0 else candidates[-1]
        position = visible.index(self.current_page_id) + step
        return visible[position] if 0 <= position < len(visible) else None

    def next_page(self) -> None:
        target = self._neighbour(+1)
        if target is not None:
            self.go_to_page(target)

    def previous_page(self) -> None:
        target = self._neighbour(-1)
        if target is not None:
            self.go_to_page(target)

    def _update_nav(self) -> None:
        self.back_button.setEnabled(self._neighbour(-1) is not None)
        self.next_button.setEnabled(self._neighbour(+1) is not None)

    def _page_item_chosen(self, item: QListWidgetItem) -> None:
        self.go_to_page(str(item.data(PAGE_ROLE)))

    def jump_to_finding(self, finding: Any) -> None:
        self.jump_to(
            finding.question_id,
            page_id=finding.page_id,
            item_index=finding.item_index,
            field_id=finding.field_id,
        )

    def jump_to(
        self,
        question_id: str | None,
        *,
        page_id: str | None = None,
        item_index: int | None = None,
        field_id: str | None = None,
    ) -> None:
        """Show a question (or one field of one repeat item) and put the keyboard on it."""
        target_page = page_id
        if question_id:
            try:
                target_page = self.spec.page_of(question_id).id
            except KeyError:
                question_id = None
        if not target_page or target_page not in self._page_index:
            return
        self.go_to_page(target_page)
        block = self._views[target_page].blocks.get(question_id or "")
        if block is None:
            return
        focus = block.focus_target()
        if item_index is not None and isinstance(block.editor, RepeatEditor):
            try:
                item = block.editor.item_box(item_index)
            except IndexError:
                item = None
            if item is not None:
                editor = item.editors.get(field_id or "")
                focus = editor.focus_target() if editor is not None else (item.first_input() or focus)
        self._scrolls[target_page].ensureWidgetVisible(block, 10, 10)  # the question with its message
        self._scrolls[target_page].ensureWidgetVisible(focus, 20, 40)
        focus.setFocus(Qt.FocusReason.OtherFocusReason)

    # ----------------------------------------------------------------- answers
    def answers(self) -> dict[str, Any]:
        return dict(self._answers)

    def _on_answer(self, answer_id: str, value: Any) -> None:
        if self.read_only:
            return
        if value is None:
            self._answers.pop(answer_id, None)
        else:
            self._answers[answer_id] = value
        self.evaluation = self._run_engine()
        self._refresh()
        if self.autosaver is not None:
            self.autosaver.change(answer_id, value)
            self.status_label.setText("Saving…")
        self.answer_changed.emit(answer_id, value)

    def rebase(self, answers: Mapping[str, Any], *, keep: Mapping[str, Any] | None = None) -> None:
        """Show ``answers`` (e.g. the record as now saved elsewhere) with ``keep`` (unsaved typing) on top."""
        merged = dict(answers)
        for key, value in (keep or {}).items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        self._answers = merged
        for view in self._views.values():
            for block in view.blocks.values():
                block.load(self._answers)
        self.evaluation = self._run_engine()
        self._refresh()

    def set_read_only(self, read_only: bool) -> None:
        self.read_only = read_only
        for view in self._views.values():
            for block in view.blocks.values():
                block.set_read_only(read_only)
        if read_only and self.autosaver is not None:
            self.autosaver.stop()

    def set_review_comments(self, comments: Mapping[str, str]) -> None:
        self._review_comments = dict(comments)
        self._refresh()
        for view in self._views.values():
            for block in view.blocks.values():
                block.set_review_comment(self._review_comments.get(block.question.id, ""))

    def flush(self) -> bool:
        """Save pending changes now (before closing, locking or submitting). True when all are saved."""
        return self.autosaver.flush() if self.autosaver is not None else True

    # ----------------------------------------------------------------- evaluation → widgets
    def _run_engine(self) -> Evaluation:
        self._item_fields = None  # the answers changed: item field visibility is worked out again
        return evaluate(self.spec, self._answers, audiences=self.audiences)

    def item_fields(self, question_id: str) -> ItemFields:
        """The visible field ids of each item of a repeat, as the engine decides them now."""
        if self._item_fields is None:
            self._item_fields = visible_item_fields(self.spec, self._answers, self._conditional_repeats)
        return self._item_fields.get(question_id, ())

    def findings_for_page(self, page_id: str) -> list[Any]:
        return [f for f in self.evaluation.findings if self._finding_page(f) == page_id]

    def _finding_page(self, finding: Any) -> str | None:
        if finding.page_id:
            return str(finding.page_id)
        if finding.question_id:
            try:
                return self.spec.page_of(finding.question_id).id
            except KeyError:
                return None
        return None

    def _shows_everything(self, page_id: str) -> bool:
        return self.show_all_problems or page_id in self.visited

    def is_shown(self, finding: Finding) -> bool:
        """Whether a finding is shown now: by its question, in the Checks list and in its page's marker
        (the three always agree). Rule findings always are; missing answers once their page has been
        left (or a submit tried); nothing about a repeat item added here until it is typed in."""
        if finding.rule_id:
            return True
        if finding.item_index is not None and finding.item_index in self._fresh_items(finding.question_id):
            return False
        if is_required_finding(finding):
            page = self._finding_page(finding)
            return page is not None and self._shows_everything(page)
        return True

    def _fresh_items(self, question_id: str | None) -> frozenset[int]:
        try:
            page = self.spec.page_of(question_id or "")
        except KeyError:
            return frozenset()
        view = self._views.get(page.id)  # items are only added on a built page
        block = view.blocks.get(question_id or "") if view is not None else None
        editor = block.editor if block is not None else None
        return editor.fresh_items() if isinstance(editor, RepeatEditor) else frozenset()

    def _checks(self, shown: Sequence[Finding]) -> list[Finding]:
        """The Checks list: the form's rules first, then page by page what else is shown; a page's missing
        answers are one line ("Victim: 5 answers are needed.") so the list stays short."""
        checks = [f for f in shown if f.rule_id]
        by_page: dict[str, list[Finding]] = {}
        for finding in shown:
            page_id = self._finding_page(finding)
            if not finding.rule_id and page_id is not None:
                by_page.setdefault(page_id, []).append(finding)
        for page in self.pages:
            found = by_page.get(page.id, [])
            missing = [f for f in found if is_required_finding(f)]
            checks += [f for f in found if not is_required_finding(f)]
            if len(missing) == 1:
                checks.append(missing[0])
            elif missing:
                checks.append(
                    replace(missing[0], message=f"{page.title}: {len(missing)} answers are needed.")
                )
        return checks

    def _refresh(self) -> None:
        """Bring the widgets in line with ``self.evaluation``. Only the page on screen is updated now;
        other built pages are marked stale and updated when shown (keeps each keystroke cheap)."""
        evaluation = self.evaluation
        self._by_question = {}
        for finding in evaluation.findings:
            if finding.question_id is not None:
                self._by_question.setdefault(finding.question_id, []).append(finding)
        self._stale_views = set(self._views)
        current = self._views.get(self.current_page_id)
        if current is not None:
            self._refresh_view(current)
        visible_pages = self._visible_pages()
        shown = [f for f in evaluation.findings if self.is_shown(f)]
        error_pages = {self._finding_page(f) for f in shown if f.severity == Severity.ERROR}
        for page in self.pages:
            hidden = page.id not in visible_pages
            if page.id in error_pages:
                state = HAS_ERRORS
            elif self._shows_everything(page.id):
                state = COMPLETE
            else:
                state = NOT_VISITED
            commented = any(q.id in self._review_comments for q in page.questions)
            if self._page_state.get(page.id) != (hidden, state, commented):
                self._page_state[page.id] = (hidden, state, commented)
                item = self.page_list.item(self._page_index[page.id])
                item.setHidden(hidden)
                note = "  — supervisor's comment" if commented else ""
                item.setText(f"{_STATE_MARKS[state]}  {page.title}{note}")
                item.setToolTip(f"{page.title}: {state}")
                item.setData(Qt.ItemDataRole.AccessibleTextRole, f"{page.title}, {state}")
        self.risk_panel.show_summary(self._summary_values(), self._summary_labels)
        self.risk_panel.show_findings(self._checks(shown))
        self.risk_panel.show_prompts(
            [f.message for f in evaluation.findings if f.rule_id in self._prompt_rules]
        )
        self._update_nav()
        self.evaluated.emit(evaluation)

    def _refresh_view(self, view: PageView) -> None:
        self._stale_views.discard(view.page.id)
        evaluation = self.evaluation
        visible = evaluation.visible_questions
        for question_id, block in view.blocks.items():
            block.set_shown(question_id in visible)
            if block.question.type is QuestionType.COMPUTED:
                block.show_computed(evaluation.values.get(question_id))
            messages: list[str] = []
            item_messages: dict[int, list[str]] = {}
            has_error = False
            for finding in self._by_question.get(question_id, ()):
                if not self.is_shown(finding):
                    continue
                if finding.item_index is not None:
                    item_messages.setdefault(finding.item_index, []).append(finding.message)
                else:
                    messages.append(finding.message)
                has_error = has_error or finding.severity == Severity.ERROR
            block.set_messages(messages, has_error=has_error)
            block.set_item_messages(item_messages)
            if question_id in self._conditional_ids:
                block.set_item_fields(self.item_fields(question_id))

    def _choice_labels_of(self, source: str) -> dict[str, str] | None:
        """A summary line that is just a choice question shows the choice's label, not its stored value."""
        try:
            question = self.spec.question(source.strip())
        except KeyError:
            return None
        labels = {c.value: c.label for c in (*question.choices, *question.rows)}
        return labels or None

    def _summary_values(self) -> list[Any]:
        return [self._readable(value) for _label, value in self.evaluation.summary]

    def _readable(self, value: Any) -> Any:
        """Lists of question ids (e.g. ``list_tagged``) are shown by question number, as on paper."""
        if isinstance(value, list | tuple) and value and all(isinstance(v, str) for v in value):
            shown = []
            for item in value:
                try:
                    question = self.spec.question(item)
                except KeyError:
                    return value
                shown.append(f"Q{question.number}" if question.number else question.label)
            return shown
        return value

    def value_of(self, question_id: str) -> Any:
        """An answer, or a computed question's current value."""
        if question_id in self.evaluation.values:
            return self.evaluation.values[question_id]
        return self._answers.get(question_id)

    # ----------------------------------------------------------------- help, focus, status
    def toggle_help_for_focus(self) -> None:
        view = self._views.get(self.current_page_id)
        if view is None:
            return
        block = view.block_containing(self.focusWidget())
        if block is None:
            block = next((b for b in view.blocks.values() if b.help_button is not None), None)
        if block is not None:
            block.toggle_help()

    def toggle_page_list_focus(self) -> None:
        """F6: to the page list, and from it back to the page's first question."""
        if self.page_list.hasFocus():
            view = self._views.get(self.current_page_id)
            target = view.first_focus() if view is not None else None
            (target or self.stack).setFocus(Qt.FocusReason.ShortcutFocusReason)
        else:
            self.page_list.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def focus_findings(self) -> None:
        if self.risk_panel.findings.count():
            self.risk_panel.findings.setFocus()
            if self.risk_panel.findings.currentRow() < 0:
                self.risk_panel.findings.setCurrentRow(0)

    def _on_saved(self, when: str) -> None:
        self.status_label.setText(f"Saved {when}")
        self.saved.emit(when)

    def _on_save_failed(self, exc: object) -> None:
        message = getattr(exc, "message", str(exc))
        self.status_label.setText(f"Not saved yet — {message} Trying again shortly; your typing is kept.")
