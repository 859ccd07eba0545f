"""The catalogue of form-definition errors, and the exception that carries all of them at once.

Every problem the loader finds is a `FormProblem` built from one `ErrorCode`: a stable code (so docs
and tests can refer to it), the rule that was broken and how to fix it. Messages are templates filled
with the details of the case (``{key}``, ``{name}`` ...); a missing detail never raises.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from dsvdesk.errors import BadInput


@dataclass(frozen=True, slots=True)
class CodeInfo:
    code: str  # stable, e.g. "F301"; listed in docs/forms.md
    rule: str  # template of the message: what is wrong
    fix: str  # template of the fix: what to do


class _Lenient(dict[str, Any]):
    """format_map() mapping that leaves an unknown {field} visible in the message instead of raising KeyError."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


_FORMATTER = string.Formatter()


def _fill(template: str, context: Mapping[str, Any]) -> str:
    try:
        return _FORMATTER.vformat(template, (), _Lenient(context))
    except (ValueError, IndexError, AttributeError):
        return template  # a malformed template is our bug, but must not hide the problem itself


class ErrorCode(Enum):
    """Every way a form definition can be wrong. Fxxx: 1 file, 2 YAML structure, 3 expressions, 4 form logic."""

    # --- the file itself ---------------------------------------------------------------------
    FILE_UNREADABLE = CodeInfo(
        "F101", "cannot read the file: {reason}", "check the path and that you may read it"
    )
    FILE_TOO_LARGE = CodeInfo(
        "F102",
        "the file is {size} - more than the {limit} a form definition may be",
        "check this is the right file; a form definition is plain text of a few hundred kilobytes",
    )
    FILE_NOT_TEXT = CodeInfo(
        "F103",
        "the file is not UTF-8 text ({detail})",
        "save the file as UTF-8 text (in a text editor: Save As, encoding UTF-8)",
    )
    FILE_EMPTY = CodeInfo("F104", "the file is empty", "start from a copy of an existing form in forms/")
    YAML_SYNTAX = CodeInfo("F105", "YAML syntax error: {problem}", "{suggestion}")
    YAML_INDENTATION = CodeInfo(
        "F106",
        "wrong indentation: {problem}",
        "indent with spaces so that keys of the same item line up exactly (2 spaces per level)",
    )
    YAML_TAB = CodeInfo("F107", "a tab character is used for indentation", "replace the tab with spaces")
    YAML_DUPLICATE_KEY = CodeInfo(
        "F108",
        "the key '{key}' appears twice in the same item",
        "keep one '{key}' (the second would silently win)",
    )
    YAML_ALIAS = CodeInfo(
        "F109", "YAML anchors and aliases (& and *) are not supported", "write the content out in full"
    )
    TOP_NOT_MAPPING = CodeInfo(
        "F110",
        "the file must be a mapping of keys (id:, title:, sections: ...), not {found}",
        "start the file with 'id: my_form' on the first line, no leading '-'",
    )

    # --- structure of the definition ---------------------------------------------------------
    UNKNOWN_KEY = CodeInfo("F201", "unknown key '{key}' in {where}", "{suggestion}")
    MISSING_KEY = CodeInfo("F202", "{where} has no '{key}'", "add '{key}:' to {where}")
    WRONG_TYPE = CodeInfo(
        "F203", "'{key}' must be {expected}, not {found}", "write '{key}' as {expected}{example}"
    )
    BAD_ID = CodeInfo(
        "F204",
        "the id '{id}' is not valid: {why}",
        "use lower-case letters, digits and '_', starting with a letter (e.g. '{suggestion}')",
    )
    RESERVED_ID = CodeInfo(
        "F205", "the id '{id}' is a reserved word in expressions", "choose another id, e.g. '{id}_answer'"
    )
    DUPLICATE_ID = CodeInfo(
        "F206",
        "the {kind} id '{id}' is already used at line {first_line}",
        "give each {kind} its own id",
    )
    UNKNOWN_QUESTION_TYPE = CodeInfo("F207", "unknown question type '{found}'", "{suggestion}")
    MISSING_LABEL = CodeInfo(
        "F208", "{where} has no label", "add 'label: <the question as printed on the form>'"
    )
    KEY_NOT_FOR_TYPE = CodeInfo(
        "F209",
        "'{key}' does not apply to a {type} question",
        "remove '{key}', or use a type it applies to: {types}",
    )
    BAD_VALUE = CodeInfo(
        "F210", "'{key}' is '{found}' but must be one of: {allowed}", "use one of: {allowed}"
    )
    EMPTY_LIST = CodeInfo("F211", "{where} has no {what}", "add at least one entry under '{key}:'")
    CHOICES_REQUIRED = CodeInfo(
        "F212",
        "a {type} question needs 'choices'",
        "add 'choices:' with a list like [{{value: a, label: A}}, ...] or plain strings",
    )
    DUPLICATE_CHOICE = CodeInfo(
        "F213", "the {what} value '{value}' appears twice", "give each {what} its own value"
    )
    BAD_PATTERN = CodeInfo(
        "F214",
        "the pattern {pattern!r} is not a valid regular expression: {reason}",
        "fix the pattern; inside single quotes write a backslash once (e.g. '^CAD\\d{{4}}$')",
    )
    MIN_GREATER_THAN_MAX = CodeInfo(
        "F215",
        "{what}: minimum {minimum} is greater than maximum {maximum}",
        "swap or correct the two numbers",
    )
    BAD_CONSTRAINT = CodeInfo("F216", "constraint problem: {problem}", "{suggestion}")
    CONSTRAINT_NOT_FOR_TYPE = CodeInfo(
        "F217", "a '{kind}' constraint does not apply to a {type} question", "use it on: {types}"
    )
    BAD_CONSTANT = CodeInfo(
        "F218",
        "the constant '{name}' must be a number, text, true/false or a list of those, not {found}",
        "write e.g. '{name}: 14'",
    )
    TYPE_NOT_IN_REPEAT = CodeInfo(
        "F219",
        "a repeat field cannot itself be a {type}",
        "flatten it: make a second repeat question on the page instead",
    )
    BAD_TAG = CodeInfo(
        "F220",
        "a tag must be a word or a one-key pair, not {found}",
        "write a tag as a word (high_risk) or a one-key pair ({{specss: separation}})",
    )
    MISSING_REPEAT_FIELDS = CodeInfo(
        "F221", "a repeat question needs 'fields'", "add 'fields:' listing the questions asked for each item"
    )
    GRID_NEEDS_ROWS_AND_COLUMNS = CodeInfo(
        "F222", "a grid question needs both 'rows' and 'columns'", "add 'rows:' and 'columns:' lists"
    )
    BAD_DATE = CodeInfo("F223", "'{found}' is not a valid {what}", "write {what} as {format}")
    DUPLICATE_FORM_ID = CodeInfo(
        "F224", "the form id '{id}' is also used by {other}", "give each form file its own id"
    )
    FORMER_ID_IN_USE = CodeInfo(
        "F225",
        "'formerly' names '{name}', which is still a question of this form",
        "list only ids the earlier version used and this one no longer has",
    )

    # --- expressions -------------------------------------------------------------------------
    EXPRESSION_SYNTAX = CodeInfo(
        "F301", "{key}: cannot read the expression {source!r}: {problem}", "{suggestion}"
    )
    UNKNOWN_FUNCTION = CodeInfo("F302", "{key}: unknown function '{name}'", "{suggestion}")
    BAD_ARGUMENTS = CodeInfo("F303", "{key}: {problem}", "{suggestion}")
    UNKNOWN_NAME = CodeInfo("F304", "{key} refers to unknown question '{name}'", "{suggestion}")
    UNKNOWN_TAG = CodeInfo("F305", "{key}: no question has the tag '{tag}'", "{suggestion}")
    DEPENDENCY_CYCLE = CodeInfo(
        "F306",
        "computed values and conditions depend on each other in a circle: {path}",
        "break the circle: one of these must not refer (directly or via a tag count) to the next",
    )
    UNKNOWN_TARGET = CodeInfo("F307", "{key}: no question has the id '{name}'", "{suggestion}")
    NOT_A_REPEAT = CodeInfo(
        "F308",
        "{key}: '{name}' is a {type} question, but any_item/all_items/count_items need a repeat",
        "pass the id of a repeat question as the first argument",
    )

    @property
    def info(self) -> CodeInfo:
        value: CodeInfo = self.value
        return value

    @property
    def code(self) -> str:
        return self.info.code

    @property
    def rule(self) -> str:
        return self.info.rule

    @property
    def fix(self) -> str:
        return self.info.fix

    def format(self, **context: Any) -> tuple[str, str]:
        """(message, fix) with the details of this case filled in."""
        return _fill(self.rule, context), _fill(self.fix, context)


@dataclass(frozen=True, slots=True)
class FormProblem:
    code: ErrorCode
    file: str
    line: int | None  # 1-based; None when the problem is about the whole file
    question_id: str | None
    message: str
    fix: str

    @classmethod
    def make(
        cls, code: ErrorCode, file: str, line: int | None, question_id: str | None = None, /, **context: Any
    ) -> FormProblem:
        message, fix = code.format(**context)
        return cls(code, file, line, question_id, message, fix)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        who = f" question '{self.question_id}':" if self.question_id else ""
        return f"{where}:{who} {self.message} -> fix: {self.fix} [{self.code.code}]"


class FormDefinitionErrors(BadInput):
    """Raised once per load with every problem found, in file and line order.

    A user-facing error: a broken form file is an environment problem a force's analyst fixes by editing
    the file, so the CLI and the app show the list as it is, without a traceback."""

    title = "Form definition problems"

    def __init__(self, problems: Iterable[FormProblem]) -> None:
        ordered = sorted(problems, key=lambda p: (p.file, p.line or 0))
        self.problems: tuple[FormProblem, ...] = tuple(ordered)
        super().__init__(str(self))

    def __str__(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in form definition"
        return head + ":\n" + "\n".join(str(p) for p in self.problems)

    @property
    def codes(self) -> tuple[ErrorCode, ...]:
        return tuple(p.code for p in self.problems)
