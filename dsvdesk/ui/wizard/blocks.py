"""A question on a page (caption, help, editor, comment, messages) and a page of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dsvdesk.engine.spec import Page, Question, QuestionType
from dsvdesk.ui.qt import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPlainTextEdit,
    Qt,
    QToolButton,
    QVBoxLayout,
    QWidget,
    Signal,
)
from dsvdesk.ui.wizard.editors import Editor, RepeatEditor, make_editor, question_caption


class QuestionBlock(QFrame):
    """Everything about one question. Emits ``answer_changed(answer_id, value)`` for the answer and for
    its attached comment (``<id>__comment``)."""

    answer_changed = Signal(str, object)

    def __init__(
        self,
        question: Question,
        parent: QWidget | None = None,
        *,
        confirm_remove: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.question = question
        self.setObjectName("questionBlock")
        self.setProperty("questionId", question.id)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(5)
        self.editor: Editor | None = None
        self.comment_edit: QPlainTextEdit | None = None
        self.help_button: QToolButton | None = None
        self._messages_text = ""
        self._review_text = ""
        self._visible_state: bool | None = None

        header = QHBoxLayout()
        header.setSpacing(6)
        if question.type is QuestionType.NOTE:
            self.caption = QLabel(question.label, self)
            self.caption.setObjectName("noteText")
        else:
            required = " *" if question.required else ""
            self.caption = QLabel(question_caption(question) + required, self)
            self.caption.setObjectName("questionCaption")
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.PlainText)
        header.addWidget(self.caption, 1)
        if question.help:
            self.help_button = QToolButton(self)
            self.help_button.setText("?")
            self.help_button.setObjectName("helpButton")
            self.help_button.setToolTip("Show help for this question (F1)")
            self.help_button.setAccessibleName(f"Help for {question.label}")
            self.help_button.setCheckable(True)
            self.help_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # F1 from the input does the same
            self.help_button.toggled.connect(self._show_help)
            header.addWidget(self.help_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(header)

        self.help_label = QLabel(question.help, self)
        self.help_label.setObjectName("helpText")
        self.help_label.setWordWrap(True)
        self.help_label.setTextFormat(Qt.TextFormat.PlainText)
        self.help_label.setVisible(False)
        layout.addWidget(self.help_label)

        if question.type is not QuestionType.NOTE:
            self.editor = make_editor(question, self, confirm_remove=confirm_remove)
            self.editor.setAccessibleName(question.label)
            self.caption.setBuddy(self.editor.focus_target())
            self.editor.changed.connect(lambda value: self.answer_changed.emit(question.id, value))
            layout.addWidget(self.editor)

        if question.comment:
            label = QLabel(question.comment_label, self)
            label.setObjectName("commentCaption")
            layout.addWidget(label)
            self.comment_edit = QPlainTextEdit(self)
            self.comment_edit.setObjectName("commentEdit")
            self.comment_edit.setTabChangesFocus(True)
            self.comment_edit.setFixedHeight(56)
            self.comment_edit.setAccessibleName(f"{question.comment_label} on {question.label}")
            label.setBuddy(self.comment_edit)
            self._comment_loading = False
            self.comment_edit.textChanged.connect(self._comment_edited)
            layout.addWidget(self.comment_edit)

        self.review_label = QLabel("", self)
        self.review_label.setObjectName("reviewComment")
        self.review_label.setWordWrap(True)
        self.review_label.setTextFormat(Qt.TextFormat.PlainText)
        self.review_label.setVisible(False)
        self.review_label.setAccessibleName("Supervisor's comment")
        layout.addWidget(self.review_label)

        self.message_label = QLabel("", self)
        self.message_label.setObjectName("inlineError")
        self.message_label.setWordWrap(True)
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)
        self.message_label.setVisible(False)
        self.message_label.setAccessibleName("Problem with this answer")
        layout.addWidget(self.message_label)

    # --- values ---------------------------------------------------------------------------------
    def load(self, answers: dict[str, Any]) -> None:
        if self.editor is not None and self.question.type is not QuestionType.COMPUTED:
            self.editor.set_value(answers.get(self.question.id))
        if self.comment_edit is not None:
            self._comment_loading = True
            try:
                value = answers.get(self.question.comment_id)
                self.comment_edit.setPlainText("" if value is None else str(value))
            finally:
                self._comment_loading = False

    def _comment_edited(self) -> None:
        if self._comment_loading or self.comment_edit is None or self.comment_edit.isReadOnly():
            return
        text = self.comment_edit.toPlainText()
        self.answer_changed.emit(self.question.comment_id, text if text.strip() else None)

    def show_computed(self, value: Any) -> None:
        if (
            self.editor is not None
            and self.question.type is QuestionType.COMPUTED
            and self.editor.value() != value
        ):
            self.editor.set_value(value)

    # --- state ----------------------------------------------------------------------------------
    def set_shown(self, shown: bool) -> None:
        if self._visible_state is not shown:
            self._visible_state = shown
            self.setVisible(shown)

    def set_messages(self, messages: Iterable[str], *, has_error: bool) -> None:
        text = "\n".join(dict.fromkeys(m for m in messages if m))
        if text != self._messages_text:
            self._messages_text = text
            self.message_label.setText(text)
            self.message_label.setVisible(bool(text))
            self.setProperty("hasError", bool(text) and has_error)
            self.style().unpolish(self)
            self.style().polish(self)

    @property
    def messages_text(self) -> str:
        return self._messages_text

    def set_item_messages(self, by_item: dict[int, list[str]]) -> None:
        if isinstance(self.editor, RepeatEditor):
            self.editor.set_item_messages(by_item)

    def set_item_fields(self, visible: Sequence[frozenset[str] | None]) -> None:
        """A repeat: show in each item only the fields the engine treats as visible."""
        if isinstance(self.editor, RepeatEditor):
            self.editor.set_item_fields(visible)

    def set_review_comment(self, text: str) -> None:
        if text != self._review_text:
            self._review_text = text
            self.review_label.setText(f"Supervisor: {text}" if text else "")
            self.review_label.setVisible(bool(text))

    def set_read_only(self, read_only: bool) -> None:
        if self.editor is not None:
            self.editor.set_read_only(read_only)
        if self.comment_edit is not None:
            self.comment_edit.setReadOnly(read_only)

    def toggle_help(self) -> None:
        if self.help_button is not None:
            self.help_button.toggle()

    def _show_help(self, shown: bool) -> None:
        self.help_label.setVisible(shown)

    def focus_target(self) -> QWidget:
        if self.editor is not None:
            return self.editor.focus_target()
        return self


class PageView(QWidget):
    """One wizard step: the page title and help, then its questions in order (Tab follows that order)."""

    answer_changed = Signal(str, object)

    def __init__(
        self,
        page: Page,
        section_title: str,
        parent: QWidget | None = None,
        *,
        confirm_remove: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.page = page
        self.setObjectName("pageView")
        layout = QVBoxLayout(self)
        # Never squeeze questions to fit the window: the page scrolls instead.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)
        layout.setContentsMargins(14, 10, 14, 14)
        layout.setSpacing(8)
        crumb = QLabel(section_title, self)
        crumb.setObjectName("sectionCrumb")
        layout.addWidget(crumb)
        title = QLabel(page.title, self)
        title.setObjectName("pageTitle")
        title.setWordWrap(True)
        layout.addWidget(title)
        if page.help:
            help_label = QLabel(page.help, self)
            help_label.setObjectName("pageHelp")
            help_label.setWordWrap(True)
            help_label.setTextFormat(Qt.TextFormat.PlainText)
            layout.addWidget(help_label)
        self.blocks: dict[str, QuestionBlock] = {}
        for question in page.questions:
            block = QuestionBlock(question, self, confirm_remove=confirm_remove)
            block.answer_changed.connect(self.answer_changed)
            layout.addWidget(block)
            self.blocks[question.id] = block
        layout.addStretch(1)

    def block_containing(self, widget: QWidget | None) -> QuestionBlock | None:
        while widget is not None:
            if isinstance(widget, QuestionBlock) and widget.question.id in self.blocks:
                return widget
            widget = widget.parentWidget()
        return None

    def first_focus(self) -> QWidget | None:
        for block in self.blocks.values():
            if (
                block.isVisibleTo(self)
                and block.editor is not None
                and block.question.type is not QuestionType.COMPUTED
            ):
                return block.focus_target()
        return None
