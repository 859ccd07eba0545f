"""The search row shared by the record lists (home, review queue): label with mnemonic, search box, count."""

from __future__ import annotations

from dataclasses import dataclass

from dsvdesk.ui.qt import QHBoxLayout, QLabel, QLineEdit, QWidget


@dataclass(frozen=True)
class SearchRow:
    layout: QHBoxLayout
    search: QLineEdit
    count_label: QLabel


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
    count_label = QLabel("", parent)
    count_label.setObjectName("hint")
    layout.addWidget(count_label)
    return SearchRow(layout, search, count_label)
