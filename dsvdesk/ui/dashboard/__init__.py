"""The supervisors' compliance dashboard (charts drawn with QPainter, click-through to records)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dsvdesk.ui.dashboard.charts import Bar, BarChart, FigureTile
from dsvdesk.ui.dashboard.tab import DashboardTab, FigureRecordsDialog, chart_bars

if TYPE_CHECKING:
    from dsvdesk.ui.main_window import MainWindow

__all__ = ["Bar", "BarChart", "DashboardTab", "FigureRecordsDialog", "FigureTile", "chart_bars", "install"]


def install(window: MainWindow) -> DashboardTab | None:
    """Supervisors get a Dashboard tab; a figure's records open in the review screen."""
    if not window.context.is_supervisor:
        return None
    hooks = getattr(window, "qa_hooks", None)
    opener = hooks.open_review if hooks is not None else window.open_record
    tab = DashboardTab(window.context, opener, window.tabs)
    window.add_tab(tab, "&Dashboard")
    window.qa_dashboard = tab  # type: ignore[attr-defined]
    window.records_changed.connect(tab.records_changed)
    return tab
