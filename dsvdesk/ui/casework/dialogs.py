"""The casework dialogs: each asks for one entry (allocation, review, contact, event, referral, outcome,
retention decision) with ``ask()`` returning the values or None; the signed re-assessments embed the
form wizard on the entry's own part of the casework form. Choices and their labels are the casework
form's (``CaseworkPolicy``); tests monkeypatch ``ask``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dsvdesk.engine.casework import FIRST_CONTACT, UPDATE_CONTACT, CaseworkPolicy
from dsvdesk.engine.spec import Choice
from dsvdesk.ui.dialogs.base import MarkedDialog
from dsvdesk.ui.qt import QCheckBox, QComboBox, QFormLayout, QLabel, QLineEdit, QPlainTextEdit, QWidget

if TYPE_CHECKING:
    from dsvdesk.store.casework import CaseFile

TIME_FORMAT = "%d/%m/%Y %H:%M"


def parse_local_time(text: str) -> dt.datetime | None:
    """'03/09/2026 14:30' (the PC's local time) -> an aware datetime; None when it cannot be read."""
    try:
        return dt.datetime.strptime(text.strip(), TIME_FORMAT).astimezone()
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Field:
    key: str
    label: str
    kind: str  # choice | text | longtext | time | date | check
    choices: tuple[Choice, ...] = ()
    required: bool = True
    default: str = ""


class EntryDialog(MarkedDialog):
    """A small form of ``fields``; OK checks that each required one is filled and readable."""

    def __init__(
        self, parent: QWidget | None, title: str, explanation: str, fields: Sequence[Field], ok: str
    ) -> None:
        super().__init__(parent, title)
        self.add_heading(title)
        if explanation:
            self.add_explanation(explanation)
        self.fields = list(fields)
        self.widgets: dict[str, QWidget] = {}
        form = QFormLayout()
        for spec in self.fields:
            widget = self._widget(spec)
            widget.setObjectName(f"casework_{spec.key}")
            widget.setAccessibleName(spec.label)
            label = QLabel(f"&{spec.label}" if spec.kind != "check" else "", self)
            label.setBuddy(widget)
            form.addRow(label, widget)
            self.widgets[spec.key] = widget
        self.body.addLayout(form)
        self.error_label = self.add_error_label()
        self.ok_button = self.add_buttons(ok, self._check)
        self.values: dict[str, Any] = {}
        self.resize(560, 200 + 40 * len(self.fields))
        if self.fields:
            self.widgets[self.fields[0].key].setFocus()

    def _widget(self, spec: Field) -> QWidget:
        if spec.kind == "choice":
            combo = QComboBox(self)
            for choice in spec.choices:
                combo.addItem(choice.label, choice.value)
            if spec.default:
                combo.setCurrentIndex(max(0, combo.findData(spec.default)))
            return combo
        if spec.kind == "longtext":
            box = QPlainTextEdit(self)
            box.setTabChangesFocus(True)
            box.setPlainText(spec.default)
            box.setMinimumHeight(70)
            return box
        if spec.kind == "check":
            check = QCheckBox(spec.label, self)
            check.setChecked(spec.default == "yes")
            return check
        line = QLineEdit(self)
        line.setText(spec.default)
        if spec.kind == "time":
            line.setPlaceholderText("dd/mm/yyyy hh:mm")
        elif spec.kind == "date":
            line.setPlaceholderText("dd/mm/yyyy")
        return line

    def value_of(self, spec: Field) -> Any:
        widget = self.widgets[spec.key]
        if isinstance(widget, QComboBox):
            return widget.currentData()
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText().strip()
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        assert isinstance(widget, QLineEdit)
        return widget.text().strip()

    def _check(self) -> None:
        values: dict[str, Any] = {}
        for spec in self.fields:
            value = self.value_of(spec)
            if spec.required and (value in ("", None) or (spec.kind == "check" and value is False)):
                return self._problem(f"{spec.label}: this is needed.", spec.key)
            if spec.kind == "time" and value:
                moment = parse_local_time(value)
                if moment is None:
                    return self._problem(
                        f"{spec.label}: write it as dd/mm/yyyy hh:mm, e.g. 03/09/2026 14:30.", spec.key
                    )
                value = moment
            if spec.kind == "date" and value:
                try:
                    value = dt.datetime.strptime(value, "%d/%m/%Y").date()
                except ValueError:
                    return self._problem(f"{spec.label}: write it as dd/mm/yyyy, e.g. 03/09/2026.", spec.key)
            values[spec.key] = value
        self.values = values
        self.accept()
        return None

    def _problem(self, text: str, key: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(True)
        self.widgets[key].setFocus()

    @classmethod
    def ask(
        cls, parent: QWidget | None, title: str, explanation: str, fields: Sequence[Field], ok: str
    ) -> dict[str, Any] | None:
        dialog = cls(parent, title, explanation, fields, ok)
        return dialog.values if dialog.exec() else None


def _now_text() -> str:
    return dt.datetime.now().strftime(TIME_FORMAT)


# ------------------------------------------------------------------------------------- the entries
def allocation_fields(workers: Sequence[tuple[str, str]]) -> list[Field]:
    """``workers``: (username, shown name) of the officers and supervisors."""
    return [Field("io", "Investigating officer", "choice", tuple(Choice(u, n) for u, n in workers))]


def review_fields(policy: CaseworkPolicy) -> list[Field]:
    return [
        Field("outcome", "Outcome", "choice", policy.review_outcomes),
        Field("next_action", "Next action", "longtext"),
    ]


def contact_fields(policy: CaseworkPolicy) -> list[Field]:
    about = (
        Choice("", "First contact, or an update (worked out)"),
        Choice(FIRST_CONTACT, "First contact"),
        Choice(UPDATE_CONTACT, "Update"),
        *(Choice(e.value, f"After the {e.label.lower()}") for e in policy.contact_events),
    )
    return [
        Field("at", "When", "time", default=_now_text()),
        Field("method", "How", "choice", policy.contact_methods),
        Field("made", "Contact was made (untick: attempted only)", "check", required=False, default="yes"),
        Field("regarding", "About", "choice", about, required=False),
        Field("note", "What was said", "longtext"),
    ]


def event_fields(policy: CaseworkPolicy) -> list[Field]:
    return [
        Field("kind", "Event", "choice", tuple(Choice(e.value, e.label) for e in policy.contact_events)),
        Field("at", "When", "time", default=_now_text()),
    ]


def referral_fields(policy: CaseworkPolicy) -> list[Field]:
    return [
        Field("agency", "Agency", "choice", policy.agencies),
        Field("referred_on", "Date referred", "date", default=dt.date.today().strftime("%d/%m/%Y")),
        Field("outcome", "Outcome so far", "choice", policy.referral_outcomes),
        Field("note", "Note", "longtext", required=False),
    ]


def referral_outcome_fields(policy: CaseworkPolicy, case: CaseFile) -> list[Field]:
    referrals = tuple(
        Choice(
            str(r.id),
            f"#{r.id} {policy.agency_label(r.agency)}, {r.referred_on}: {policy.referral_outcome_label(r.outcome)}",
        )
        for r in case.referrals
    )
    return [
        Field("referral", "Referral", "choice", referrals),
        Field("outcome", "Outcome", "choice", policy.referral_outcomes),
    ]


def outcome_fields(policy: CaseworkPolicy) -> list[Field]:
    return [Field("outcome", "Outcome", "choice", policy.outcomes)]


def retain_fields() -> list[Field]:
    return [Field("reason", "Why the record is kept", "longtext")]


def dispose_fields(policy: CaseworkPolicy) -> list[Field]:
    return [
        Field("reason", "Why it is disposed of", "choice", policy.dispose_reasons),
        Field("confirm", "I understand the record's content is erased for good", "check"),
    ]
