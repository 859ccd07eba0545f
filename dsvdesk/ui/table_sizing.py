"""Column widths of the lazy record tables (My forms, the review queue), sized once.

Sizing a column to its contents asks the model for every sampled row's text; over a lazy list that
means reading pages from the store. Doing it on every refresh, sort or search (issue 22: 0.5-1 s per
review-queue refresh at 100,000 records) measured the same text again and overrode any width the
user had dragged. So the widths are fitted once, from the rows on the first page, the first time the
list has any rows; after that they are the user's.
"""

from __future__ import annotations

from dsvdesk.ui.models.records import RecordListModel
from dsvdesk.ui.qt import QTableView

# Rows sampled for a column's width: about a screenful, never the 1,000 Qt samples by default.
SIZING_ROWS = 50


def fit_columns_once(table: QTableView, model: RecordListModel) -> None:
    """Fit ``table``'s columns to the first rows of ``model`` now if it has rows, else at its first
    reset that brings rows; never again after that."""
    table.horizontalHeader().setResizeContentsPrecision(min(SIZING_ROWS, model.page_size))
    if model.total:
        table.resizeColumnsToContents()
        return

    def first_rows() -> None:
        if model.total:
            model.modelReset.disconnect(first_rows)
            table.resizeColumnsToContents()

    model.modelReset.connect(first_rows)
