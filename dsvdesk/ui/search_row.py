"""The search row shared by the record lists (home, review queue): label with mnemonic, search box, count."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from dsvdesk.ui.qt import QHBoxLayout, QLabel, QLineEdit, QWidget

if TYPE_CHECKING:
    from dsvdesk.ui.context import AppContext
    from dsvdesk.ui.models.records import RecordListModel


@dataclass(frozen=True)
class SearchRow:
    layout: QHBoxLayout
    search: QLineEdit
    count_label: QLabel
    sort_label: QLabel  # "Sorting by name…" while a sort waits (``show_waiting_sort``), hidden otherwise


def build_search_row(parent: QWidget, *, hint: str, accessible_name: str) -> SearchRow:
    """``&Search`` label (Alt+S), a clearable box answered by the store's index, and a count on the right.
    Callers add their own buttons to ``layout`` after the count."""
    layout = QHBoxLayout()
    label = QLabel("&Search", parent)
    search = QLineEdit(parent)
    search.setPlaceholderText(hint)
    search.setAccessibleName(accessible_name)
    search.setClearButtonEnabled(True)
    label.setBuddy(search)
    layout.addWidget(label)
    layout.addWidget(search, 1)
    sort_label = QLabel("", parent)
    sort_label.setObjectName("hint")
    sort_label.setVisible(False)
    layout.addWidget(sort_label)
    count_label = QLabel("", parent)
    count_label.setObjectName("hint")
    layout.addWidget(count_label)
    return SearchRow(layout, search, count_label, sort_label)


def show_waiting_sort(model: RecordListModel, label: QLabel, context: AppContext) -> None:
    """While the list's sort waits for the session's name order (ui/name_sort.py), ``label`` says so;
    the sort is applied as soon as the order is there."""

    def say(text: str) -> None:
        label.setText(text)
        label.setAccessibleName(text)
        label.setVisible(bool(text))

    model.sort_waiting.connect(say)
    if context.name_orders is not None:
        context.name_orders.ready.connect(model.apply_waiting_sort)
