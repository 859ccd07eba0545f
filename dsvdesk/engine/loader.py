"""YAML form definitions -> frozen `FormSpec` objects, with every problem reported at once.

The YAML is *composed* (not constructed) so each node keeps its line number, and scalars are read
from their raw text: ``choices: [yes, no]`` stays the words "yes"/"no" rather than YAML 1.1 booleans.
Every check appends a `FormProblem` and carries on with a safe default, so one load names every
mistake in the file; a single `FormDefinitionErrors` is raised at the end.
"""

from __future__ import annotations

import difflib
import hashlib
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dsvdesk import log
from dsvdesk.engine.errors import ErrorCode, FormDefinitionErrors, FormProblem
from dsvdesk.engine.expressions import RESERVED_NAMES, Expression, ExpressionError, ItemScope, suggest_name
from dsvdesk.engine.index import build_index, node_label, tag_keys
from dsvdesk.engine.spec import (
    ANSWERED_TYPES,
    Audience,
    Choice,
    Constraint,
    FormSpec,
    Page,
    Question,
    QuestionType,
    Rule,
    Section,
    Severity,
    SourceLocation,
    SummaryItem,
    Tag,
)

MAX_FILE_BYTES = 2 * 1024 * 1024
# libyaml's composer is about 15 times faster; both keep line numbers on every node.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_ID_LENGTH = 64
ID_RE = re.compile(r"[a-z][a-z0-9_]*")
FORM_ID_RE = re.compile(r"[a-z0-9][a-z0-9_]*")
TIME_RE = re.compile(r"([01]\d|2[0-3]):[0-5]\d")

FORM_KEYS = (
    "id",
    "version",
    "title",
    "marking",
    "description",
    "constants",
    "columns",
    "options",
    "sections",
    "rules",
    "summary",
)
SECTION_KEYS = ("id", "title", "audience", "number", "pages")
PAGE_KEYS = ("id", "title", "help", "show_when", "questions")
RULE_KEYS = ("id", "when", "severity", "message", "targets", "each_tag", "tags")
SUMMARY_KEYS = ("label", "expression")
CHOICE_KEYS = ("value", "label", "help")
CONSTRAINT_KINDS = ("pattern", "range", "length", "not_future", "expression")

_COMMON_KEYS = ("id", "type", "label", "help", "number", "show_when", "tags", "read_only")
_ANSWER_KEYS = (
    "required",
    "required_when",
    "constraints",
    "comment",
    "comment_label",
    "example",
    "formerly",
)
_T = QuestionType
_TYPE_KEYS: Mapping[str, frozenset[QuestionType]] = {
    "choices": frozenset({_T.CHOICE, _T.MULTICHOICE}),
    "pattern": frozenset({_T.REFERENCE}),
    "fields": frozenset({_T.REPEAT}),
    "min_items": frozenset({_T.REPEAT}),
    "max_items": frozenset({_T.REPEAT}),
    "item_label": frozenset({_T.REPEAT}),
    "rows": frozenset({_T.GRID}),
    "columns": frozenset({_T.GRID}),
    "expression": frozenset({_T.COMPUTED}),
    **{key: frozenset(ANSWERED_TYPES) for key in _ANSWER_KEYS},
}
ALL_QUESTION_KEYS = frozenset({*_COMMON_KEYS, *_TYPE_KEYS})
_CONSTRAINT_TYPES: Mapping[str, frozenset[QuestionType]] = {
    "pattern": frozenset({_T.TEXT, _T.LONGTEXT, _T.REFERENCE}),
    "range": frozenset({_T.INTEGER, _T.DECIMAL, _T.DATE, _T.DATETIME, _T.TIME}),
    "length": frozenset({_T.TEXT, _T.LONGTEXT, _T.REFERENCE, _T.MULTICHOICE, _T.REPEAT}),
    "not_future": frozenset({_T.DATE, _T.DATETIME}),
    "expression": frozenset(ANSWERED_TYPES),
}
_NOT_IN_REPEAT = frozenset({_T.REPEAT, _T.COMPUTED})


def allowed_question_keys(qtype: QuestionType) -> tuple[str, ...]:
    return (*_COMMON_KEYS, *(key for key, types in _TYPE_KEYS.items() if qtype in types))


def _names(types: Collection[QuestionType]) -> str:
    return ", ".join(sorted(t.value for t in types))


def _line(node: Node | None) -> int | None:
    return None if node is None else node.start_mark.line + 1


def _describe(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping (key: value lines)"
    if isinstance(node, SequenceNode):
        return "a list"
    if node.tag.endswith(":null"):
        return "empty"
    if node.tag.endswith(":bool"):
        return f"true/false ({node.value})"
    if node.tag.endswith((":int", ":float")):
        return f"the number {node.value}"
    text = str(node.value)
    return f"the text '{text[:40]}{'...' if len(text) > 40 else ''}'"


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9_]+", "_", text.strip().lower()).strip("_")
    if not slug or not slug[0].isalpha():
        slug = "q_" + slug
    return slug[:MAX_ID_LENGTH]


@dataclass(frozen=True, slots=True)
class _ExpressionUse:
    """An expression waiting for its names to be checked once every id in the file is known."""

    expression: Expression
    line: int | None
    question_id: str | None
    key: str  # "show_when", "rule 'x' when" ... (the start of the message)
    local_names: frozenset[str]  # value/comment, or a repeat item's field ids


Entries = dict[str, tuple[ScalarNode, Node]]


class _Loader:
    def __init__(self, text: str, source_name: str) -> None:
        self.text = text
        self.file = source_name
        self.problems: list[FormProblem] = []
        self.constructor = SafeConstructor()
        self.expressions: list[_ExpressionUse] = []
        self.question_lines: dict[str, int | None] = {}
        self.tag_lines: list[tuple[str, int | None, str | None, str]] = []  # each_tag uses to check
        self.target_nodes: list[tuple[str, Node, str]] = []  # rule targets to check
        self.former_nodes: list[tuple[str, Node, str | None]] = []  # `formerly:` ids (must be gone)
        self._current_fields: frozenset[str] = frozenset()  # field ids of the repeat being read

    # --- reporting -----------------------------------------------------------------------------
    def report(
        self, code: ErrorCode, at: Node | int | None, question_id: str | None = None, /, **context: Any
    ) -> None:
        line = at if isinstance(at, int) or at is None else _line(at)
        self.problems.append(FormProblem.make(code, self.file, line, question_id, **context))

    # --- generic node readers ------------------------------------------------------------------
    def mapping(
        self,
        node: Node,
        where: str,
        allowed: Collection[str] | None,  # None: any key (constants, columns)
        required: Collection[str] = (),
        *,
        qid: str | None = None,
        key_check: Callable[[str, ScalarNode], bool] | None = None,
    ) -> Entries | None:
        if not isinstance(node, MappingNode):
            self.report(
                ErrorCode.WRONG_TYPE,
                node,
                qid,
                key=where,
                expected="a mapping of key: value lines",
                found=_describe(node),
                example="",
            )
            return None
        entries: Entries = {}
        misspelt: set[str] = set()  # required keys an unknown key was probably meant to be
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.report(
                    ErrorCode.WRONG_TYPE,
                    key_node,
                    qid,
                    key="a key",
                    expected="a plain word",
                    found=_describe(key_node),
                    example="",
                )
                continue
            key = str(key_node.value)
            if key in entries:
                continue  # reported as YAML_DUPLICATE_KEY by the pre-pass
            if allowed is not None and key not in allowed:
                if key_check is None or not key_check(key, key_node):
                    misspelt.update(difflib.get_close_matches(key, list(required), n=1, cutoff=0.6))
                    self.report(
                        ErrorCode.UNKNOWN_KEY,
                        key_node,
                        qid,
                        key=key,
                        where=where,
                        suggestion=_key_suggestion(key, allowed),
                    )
                continue
            entries[key] = (key_node, value_node)
        for key in required:
            if key not in entries and key in misspelt:
                continue  # already reported as "unknown key 'lable' -> did you mean 'label'?"
            if key not in entries or _is_blank(entries[key][1]):
                if key == "label":
                    self.report(
                        ErrorCode.MISSING_LABEL, entries[key][0] if key in entries else node, qid, where=where
                    )
                else:
                    self.report(
                        ErrorCode.MISSING_KEY,
                        entries[key][0] if key in entries else node,
                        qid,
                        key=key,
                        where=where,
                    )
        return entries

    def text_value(self, entries: Entries, key: str, qid: str | None = None, default: str = "") -> str:
        if key not in entries:
            return default
        node = entries[key][1]
        if isinstance(node, ScalarNode):
            return default if _is_null(node) else str(node.value)
        self.report(
            ErrorCode.WRONG_TYPE,
            node,
            qid,
            key=key,
            expected="text",
            found=_describe(node),
            example=f" on one line, e.g. {key}: ...",
        )
        return default

    def bool_value(self, entries: Entries, key: str, qid: str | None = None, default: bool = False) -> bool:
        if key not in entries:
            return default
        node = entries[key][1]
        if isinstance(node, ScalarNode) and node.tag.endswith(":bool"):
            return bool(self.constructor.construct_object(node))
        if isinstance(node, ScalarNode) and _is_null(node):
            return default
        self.report(
            ErrorCode.WRONG_TYPE,
            node,
            qid,
            key=key,
            expected="true or false",
            found=_describe(node),
            example=f", e.g. {key}: true",
        )
        return default

    def count_value(self, entries: Entries, key: str, qid: str | None = None) -> int | None:
        if key not in entries or _is_null(entries[key][1]):
            return None
        node = entries[key][1]
        if isinstance(node, ScalarNode) and node.tag.endswith(":int"):
            number = int(self.constructor.construct_object(node))
            if number >= 0:
                return number
        self.report(
            ErrorCode.WRONG_TYPE,
            node,
            qid,
            key=key,
            expected="a whole number, 0 or more",
            found=_describe(node),
            example=f", e.g. {key}: 3",
        )
        return None

    def list_value(self, entries: Entries, key: str, qid: str | None = None) -> list[Node]:
        if key not in entries or _is_null(entries[key][1]):
            return []
        node = entries[key][1]
        if isinstance(node, SequenceNode):
            return list(node.value)
        self.report(
            ErrorCode.WRONG_TYPE,
            node,
            qid,
            key=key,
            expected="a list",
            found=_describe(node),
            example=" (one '- ' line per entry)",
        )
        return []

    def id_value(
        self,
        entries: Entries,
        node: Node,
        kind: str,
        qid: str | None = None,
        pattern: re.Pattern[str] = ID_RE,
    ) -> str | None:
        if "id" not in entries or _is_null(entries["id"][1]):
            return None
        value_node = entries["id"][1]
        if not isinstance(value_node, ScalarNode):
            self.report(
                ErrorCode.WRONG_TYPE,
                value_node,
                qid,
                key="id",
                expected="a word",
                found=_describe(value_node),
                example=" like victim_name",
            )
            return None
        ident = str(value_node.value)
        if not self.check_id(ident, value_node, kind, qid, pattern):
            return None
        return ident

    def check_id(
        self, ident: str, node: Node, kind: str, qid: str | None, pattern: re.Pattern[str] = ID_RE
    ) -> bool:
        if not pattern.fullmatch(ident) or len(ident) > MAX_ID_LENGTH:
            why = (
                f"longer than {MAX_ID_LENGTH} characters"
                if len(ident) > MAX_ID_LENGTH
                else "it must be lower-case letters, digits and '_', starting with a letter"
            )
            self.report(ErrorCode.BAD_ID, node, qid, id=ident[:80], why=why, suggestion=_slug(ident))
            return False
        if kind in {"question", "field", "constant"} and ident in RESERVED_NAMES:
            self.report(ErrorCode.RESERVED_ID, node, qid, id=ident)
            return False
        return True

    def expression(
        self, entries: Entries, key: str, qid: str | None, label: str, local_names: Collection[str] = ()
    ) -> Expression | None:
        if key not in entries or _is_null(entries[key][1]):
            return None
        return self.expression_node(entries[key][1], qid, label, local_names)

    def expression_node(
        self, node: Node, qid: str | None, label: str, local_names: Collection[str] = ()
    ) -> Expression | None:
        if not isinstance(node, ScalarNode):
            self.report(
                ErrorCode.WRONG_TYPE,
                node,
                qid,
                key=label,
                expected="an expression on one line",
                found=_describe(node),
                example=", e.g. dash_q1 == 'yes'",
            )
            return None
        source = str(node.value)
        try:
            expression = Expression.parse(source)
        except ExpressionError as exc:
            self.report(exc.code, node, qid, key=label, **exc.context)
            return None
        self.expressions.append(_ExpressionUse(expression, _line(node), qid, label, frozenset(local_names)))
        return expression

    def pattern_value(self, node: Node, qid: str | None, key: str) -> str | None:
        if not isinstance(node, ScalarNode) or _is_null(node):
            self.report(
                ErrorCode.WRONG_TYPE,
                node,
                qid,
                key=key,
                expected="a regular expression in quotes",
                found=_describe(node),
                example=" e.g. '^CAD\\d{4}$'",
            )
            return None
        pattern = str(node.value)
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as exc:
            self.report(ErrorCode.BAD_PATTERN, node, qid, pattern=pattern, reason=str(exc))
            return None
        return pattern

    def location(self, node: Node) -> SourceLocation:
        return SourceLocation(self.file, node.start_mark.line + 1)

    # --- the form -------------------------------------------------------------------------------
    def load(self) -> FormSpec | None:
        root = self.compose()
        if root is None:
            return None
        if not isinstance(root, MappingNode):
            self.report(ErrorCode.TOP_NOT_MAPPING, root, found=_describe(root))
            return None
        entries = self.mapping(root, "the form", FORM_KEYS, ("id", "version", "title", "sections"))
        assert entries is not None
        form_id = self.id_value(entries, root, "form", pattern=FORM_ID_RE) or ""
        version = self.text_value(entries, "version")
        title = self.text_value(entries, "title")
        marking = (
            self.text_value(entries, "marking", default="OFFICIAL-SENSITIVE").strip() or "OFFICIAL-SENSITIVE"
        )
        description = self.text_value(entries, "description")
        constants = self.constants(entries)
        options = self.plain(entries, "options", "the form options")
        sections = self.sections(entries)
        top_questions = [q for s in sections for p in s.pages for q in p.questions]
        self.check_duplicate_names(top_questions, constants)
        rules = tuple(self.rules(entries))
        summary = tuple(self.summary(entries))
        columns = self.columns(entries, {q.id for q in top_questions})
        if not isinstance(options, dict):
            self.report(
                ErrorCode.WRONG_TYPE,
                entries["options"][1],
                key="options",
                expected="a mapping",
                found=_describe(entries["options"][1]),
                example="",
            )
            options = {}
        spec = FormSpec(
            id=form_id,
            version=version,
            title=title,
            sections=tuple(sections),
            rules=rules,
            summary=summary,
            constants=constants,
            columns=columns,
            marking=marking,
            description=description,
            options=options,
            source_path=self.file,
            source_text=self.text,
            content_hash=content_hash(self.text),
        )
        self.check_references(spec)
        index = build_index(spec)
        for circle in index.cycles:
            first = circle[0]
            self.report(
                ErrorCode.DEPENDENCY_CYCLE,
                first.location.line if first.location else None,
                first.id if isinstance(first, Question) else None,
                path=" uses ".join(node_label(n) for n in circle),
            )
        if self.problems:
            return None
        object.__setattr__(spec, "index", index)  # frozen: attach the index made from this very spec
        return spec

    def compose(self) -> Node | None:
        if not self.text.strip():
            self.report(ErrorCode.FILE_EMPTY, None)
            return None
        try:
            root = yaml.compose(self.text, Loader=_YAML_LOADER)
        except yaml.MarkedYAMLError as exc:
            self.yaml_problem(exc)
            return None
        except yaml.YAMLError as exc:  # e.g. ReaderError: control characters
            self.report(
                ErrorCode.YAML_SYNTAX,
                _reader_line(self.text, exc),
                problem=_first_line(str(exc)),
                suggestion="remove unusual control characters from the file",
            )
            return None
        except RecursionError:
            self.report(
                ErrorCode.YAML_SYNTAX,
                None,
                problem="the file is nested too deeply",
                suggestion="a form needs at most about ten levels of indentation",
            )
            return None
        if root is None or (isinstance(root, ScalarNode) and _is_null(root)):
            self.report(ErrorCode.FILE_EMPTY, None)
            return None
        if not self.prepass(root):
            return None
        return root

    def yaml_problem(self, exc: yaml.MarkedYAMLError) -> None:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = str(exc.problem or exc.context or "not valid YAML")
        if exc.context and exc.problem and not str(exc.context).startswith("while"):
            problem = (
                f"{exc.context}, {exc.problem}"  # e.g. "expected a single document ..., but found another"
            )
        lines = self.text.splitlines()
        text_line = lines[mark.line] if mark is not None and mark.line < len(lines) else ""
        column = mark.column if mark is not None else 0
        indent = text_line[: len(text_line) - len(text_line.lstrip(" \t"))]
        if "\t" in indent or text_line[column : column + 1] == "\t" or "'\\t'" in problem:
            self.report(ErrorCode.YAML_TAB, line)
            return
        if problem.startswith("mapping values are not allowed"):
            if ":" in text_line[:column]:
                self.report(
                    ErrorCode.YAML_SYNTAX,
                    line,
                    problem="a second ': ' on one line",
                    suggestion="put text that contains ': ' in quotes, e.g. label: 'Risk: high'",
                )
                return
            self.report(
                ErrorCode.YAML_INDENTATION, line, problem="this line is indented more than the one above"
            )
            return
        if any(
            marker in problem
            for marker in ("expected <block end>", "did not find expected key", "did not find expected '-'")
        ):
            self.report(
                ErrorCode.YAML_INDENTATION,
                line,
                problem="this line does not line up with the lines before it",
            )
            return
        suggestion = "check quotes, colons and brackets on this line and the one before"
        if "quoted scalar" in str(exc.context or ""):
            suggestion = "close the quote that starts near this line"
        elif "single document" in str(exc.context or ""):
            suggestion = "remove the '---' line: one form per file"
        self.report(ErrorCode.YAML_SYNTAX, line, problem=problem, suggestion=suggestion)

    def prepass(self, root: Node) -> bool:
        """Reject aliases (shared nodes could expand exponentially when walked) and repeated keys."""
        seen: set[int] = set()
        stack = [root]
        aliased = False
        while stack:
            node = stack.pop()
            if id(node) in seen:
                if not aliased:
                    self.report(ErrorCode.YAML_ALIAS, node)
                aliased = True
                continue
            seen.add(id(node))
            if node.tag not in _PLAIN_TAGS:
                self.report(
                    ErrorCode.YAML_SYNTAX,
                    node,
                    problem=f"the YAML tag {str(node.tag)[:60]!r} is not supported",
                    suggestion="remove the '!...' before the value",
                )
            if isinstance(node, SequenceNode):
                stack.extend(reversed(node.value))
            elif isinstance(node, MappingNode):
                keys: set[str] = set()
                for key_node, value_node in node.value:
                    if isinstance(key_node, ScalarNode):
                        key = str(key_node.value)
                        if key in keys:
                            self.report(ErrorCode.YAML_DUPLICATE_KEY, key_node, key=key)
                        keys.add(key)
                    stack.append(value_node)
        return not aliased

    def plain(self, entries: Entries, key: str, where: str) -> Any:
        """Free-form data (renderer options): plain Python values."""
        if key not in entries:
            return {}
        try:
            return self.constructor.construct_object(entries[key][1], deep=True)
        except yaml.YAMLError as exc:
            self.report(
                ErrorCode.YAML_SYNTAX,
                entries[key][1],
                problem=f"in {where}: {_first_line(str(exc))}",
                suggestion="use plain values (text, numbers, lists, mappings)",
            )
            return {}

    def constants(self, entries: Entries) -> dict[str, Any]:
        if "constants" not in entries or _is_null(entries["constants"][1]):
            return {}
        node = entries["constants"][1]
        values: dict[str, Any] = {}
        items = self.mapping(node, "constants", None)
        if items is None:
            return values
        for name, (key_node, value_node) in items.items():
            if not self.check_id(name, key_node, "constant", None):
                continue
            value = self.constant_value(value_node)
            if value is _BAD:
                self.report(ErrorCode.BAD_CONSTANT, key_node, name=name, found=_describe(value_node))
                continue
            values[name] = value
        return values

    def constant_value(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            if _is_null(node) or not node.tag.endswith((":int", ":float", ":bool", ":str")):
                return _BAD
            value = self.constructor.construct_object(node)
            if isinstance(value, float) and math.isnan(
                value
            ):  # NaN never compares equal: useless as a threshold
                return _BAD
            return value
        if isinstance(node, SequenceNode):
            items = [self.constant_value(item) for item in node.value]
            if any(item is _BAD or isinstance(item, list) for item in items):
                return _BAD
            return items
        return _BAD

    def columns(self, entries: Entries, question_ids: Collection[str]) -> dict[str, str]:
        if "columns" not in entries or _is_null(entries["columns"][1]):
            return {}
        items = self.mapping(entries["columns"][1], "columns", None)
        columns: dict[str, str] = {}
        for name, (_key_node, value_node) in (items or {}).items():
            if not isinstance(value_node, ScalarNode) or _is_null(value_node):
                self.report(
                    ErrorCode.WRONG_TYPE,
                    value_node,
                    key=f"columns: {name}",
                    expected="a question id",
                    found=_describe(value_node),
                    example=f", e.g. {name}: victim_name",
                )
                continue
            target = str(value_node.value)
            if target not in question_ids:
                self.report(
                    ErrorCode.UNKNOWN_TARGET,
                    value_node,
                    key=f"columns: {name}",
                    name=target,
                    suggestion=suggest_name(target, question_ids),
                )
                continue
            columns[name] = target
        return columns

    # --- sections, pages, questions -------------------------------------------------------------
    def sections(self, entries: Entries) -> list[Section]:
        nodes = self.list_value(entries, "sections")
        if "sections" in entries and not nodes and not self.problems_at(entries["sections"][1]):
            self.report(
                ErrorCode.EMPTY_LIST,
                entries["sections"][1],
                where="the form",
                what="sections",
                key="sections",
            )
        sections: list[Section] = []
        section_ids: dict[str, int | None] = {}
        page_ids: dict[str, int | None] = {}
        for node in nodes:
            items = self.mapping(node, _where("section", node), SECTION_KEYS, ("id", "title", "pages"))
            if items is None:
                continue
            section_id = self.id_value(items, node, "section") or ""
            self.unique(section_id, section_ids, node, "section", None)
            where = f"section '{section_id}'" if section_id else "a section"
            audience_text = self.text_value(items, "audience", default=Audience.AUTHOR.value)
            if audience_text not in {a.value for a in Audience}:
                self.report(
                    ErrorCode.BAD_VALUE,
                    items["audience"][1],
                    key="audience",
                    found=audience_text,
                    allowed=", ".join(a.value for a in Audience),
                )
                audience_text = Audience.AUTHOR.value
            pages: list[Page] = []
            page_nodes = self.list_value(items, "pages")
            if "pages" in items and not page_nodes and not _is_null(items["pages"][1]):
                self.report(ErrorCode.EMPTY_LIST, items["pages"][1], where=where, what="pages", key="pages")
            for page_node in page_nodes:
                page = self.page(page_node, page_ids)
                if page is not None:
                    pages.append(page)
            sections.append(
                Section(
                    id=section_id,
                    title=self.text_value(items, "title"),
                    pages=tuple(pages),
                    audience=Audience(audience_text),
                    number=self.text_value(items, "number"),
                    location=self.location(node),
                )
            )
        return sections

    def problems_at(self, node: Node) -> bool:
        return any(p.line == _line(node) for p in self.problems)

    def unique(self, ident: str, seen: dict[str, int | None], node: Node, kind: str, qid: str | None) -> None:
        if not ident:
            return
        if ident in seen:
            self.report(ErrorCode.DUPLICATE_ID, node, qid, kind=kind, id=ident, first_line=seen[ident])
        else:
            seen[ident] = _line(node)

    def page(self, node: Node, page_ids: dict[str, int | None]) -> Page | None:
        items = self.mapping(node, _where("page", node), PAGE_KEYS, ("id", "title", "questions"))
        if items is None:
            return None
        page_id = self.id_value(items, node, "page") or ""
        self.unique(page_id, page_ids, node, "page", None)
        where = f"page '{page_id}'" if page_id else "a page"
        questions: list[Question] = []
        question_nodes = self.list_value(items, "questions")
        if "questions" in items and not question_nodes and not _is_null(items["questions"][1]):
            self.report(
                ErrorCode.EMPTY_LIST, items["questions"][1], where=where, what="questions", key="questions"
            )
        for question_node in question_nodes:
            question = self.question(question_node)
            if question is not None:
                questions.append(question)
        return Page(
            id=page_id,
            title=self.text_value(items, "title"),
            questions=tuple(questions),
            help=self.text_value(items, "help"),
            show_when=self.expression(items, "show_when", None, f"{where}: show_when"),
            location=self.location(node),
        )

    def question(self, node: Node, repeat_id: str = "") -> Question | None:
        """One question (or, with `repeat_id`, one field of a repeat)."""
        where_kind = "field" if repeat_id else "question"
        if not isinstance(node, MappingNode):
            self.report(
                ErrorCode.WRONG_TYPE,
                node,
                None,
                key=f"each {where_kind}",
                expected="a mapping (id:, type:, label: ...)",
                found=_describe(node),
                example="",
            )
            return None
        raw_keys = {str(k.value): (k, v) for k, v in node.value if isinstance(k, ScalarNode)}
        ident_node = raw_keys.get("id", (None, None))[1]
        raw_id = (
            str(ident_node.value) if isinstance(ident_node, ScalarNode) and not _is_null(ident_node) else ""
        )
        qid = f"{repeat_id}.{raw_id}" if repeat_id and raw_id else (raw_id or None)

        qtype: QuestionType | None = None
        type_node = raw_keys.get("type", (None, None))[1]
        if type_node is None or _is_null(type_node):
            self.report(ErrorCode.MISSING_KEY, node, qid, key="type", where=f"{where_kind} '{raw_id or '?'}'")
        elif not isinstance(type_node, ScalarNode) or type_node.value not in {t.value for t in QuestionType}:
            found = str(type_node.value) if isinstance(type_node, ScalarNode) else _describe(type_node)
            self.report(
                ErrorCode.UNKNOWN_QUESTION_TYPE,
                type_node,
                qid,
                found=found,
                suggestion=_choice_suggestion(found, [t.value for t in QuestionType], "types"),
            )
        else:
            qtype = QuestionType(type_node.value)

        allowed = allowed_question_keys(qtype) if qtype is not None else tuple(ALL_QUESTION_KEYS)

        def key_check(key: str, key_node: ScalarNode) -> bool:
            if key in ALL_QUESTION_KEYS and qtype is not None:
                types = _TYPE_KEYS.get(key, frozenset())
                self.report(
                    ErrorCode.KEY_NOT_FOR_TYPE, key_node, qid, key=key, type=qtype.value, types=_names(types)
                )
                return True
            return False

        where = f"this {where_kind}" if raw_id else f"a {where_kind}"
        items = self.mapping(node, where, allowed, ("id", "type", "label"), qid=qid, key_check=key_check)
        assert items is not None
        ident = self.id_value(items, node, "field" if repeat_id else "question", qid) or ""
        qtype = qtype or QuestionType.TEXT
        if repeat_id and qtype in _NOT_IN_REPEAT:
            self.report(ErrorCode.TYPE_NOT_IN_REPEAT, type_node, qid, type=qtype.value)
        scope_names: frozenset[str] = self._current_fields if repeat_id else frozenset()

        choices = self.choice_list(items, "choices", qid, "choice")
        if (
            qtype in {_T.CHOICE, _T.MULTICHOICE}
            and not choices
            and not self.problems_at_key(items, "choices")
        ):
            self.report(
                ErrorCode.CHOICES_REQUIRED, items.get("choices", (node, node))[0], qid, type=qtype.value
            )
        pattern = self.pattern_value(items["pattern"][1], qid, "pattern") if "pattern" in items else None

        fields: tuple[Question, ...] = ()
        min_items = self.count_value(items, "min_items", qid)
        max_items = self.count_value(items, "max_items", qid)
        if qtype is _T.REPEAT:
            fields = self.repeat_fields(items, node, ident, qid)
            if min_items is not None and max_items is not None and min_items > max_items:
                self.report(
                    ErrorCode.MIN_GREATER_THAN_MAX,
                    items["min_items"][1],
                    qid,
                    what="min_items/max_items",
                    minimum=min_items,
                    maximum=max_items,
                )
        rows = self.choice_list(items, "rows", qid, "row")
        columns = self.choice_list(items, "columns", qid, "column")
        if (
            qtype is _T.GRID
            and (not rows or not columns)
            and not self.problems_at_key(items, "rows", "columns")
        ):
            self.report(ErrorCode.GRID_NEEDS_ROWS_AND_COLUMNS, node, qid)
        expression = None
        if qtype is _T.COMPUTED:
            if "expression" not in items or _is_null(items["expression"][1]):
                self.report(ErrorCode.MISSING_KEY, node, qid, key="expression", where=where)
            else:
                expression = self.expression(items, "expression", qid, "expression")

        if ident and not repeat_id:
            self.question_lines.setdefault(ident, _line(node))
        question = Question(
            id=ident,
            type=qtype,
            label=self.text_value(items, "label", qid),
            help=self.text_value(items, "help", qid),
            number=self.text_value(items, "number", qid),
            required=self.bool_value(items, "required", qid),
            required_when=self.expression(items, "required_when", qid, "required_when", scope_names),
            show_when=self.expression(items, "show_when", qid, "show_when", scope_names),
            constraints=self.constraints(items, qid, qtype, scope_names),
            tags=self.tags(items, qid),
            choices=choices,
            pattern=pattern,
            example=self.text_value(items, "example", qid),
            fields=fields,
            min_items=min_items or 0,
            max_items=max_items,
            item_label=self.text_value(items, "item_label", qid),
            rows=rows,
            columns=columns,
            expression=expression,
            comment=self.bool_value(items, "comment", qid),
            comment_label=self.text_value(items, "comment_label", qid, default="Comment"),
            read_only=self.bool_value(items, "read_only", qid),
            formerly=self.former_ids(items, qid),
            location=self.location(node),
        )
        return question

    def former_ids(self, items: Entries, qid: str | None) -> tuple[str, ...]:
        """``formerly:``: ids of an earlier version's questions whose answers now belong here."""
        found: list[str] = []
        for id_node in self.list_value(items, "formerly", qid):
            if isinstance(id_node, ScalarNode) and ID_RE.fullmatch(str(id_node.value)):
                found.append(str(id_node.value))
                self.former_nodes.append((str(id_node.value), id_node, qid))
            else:
                self.report(
                    ErrorCode.WRONG_TYPE,
                    id_node,
                    qid,
                    key="formerly",
                    expected="question ids",
                    found=_describe(id_node),
                    example=" (the ids the earlier version used)",
                )
        return tuple(found)

    def problems_at_key(self, items: Entries, *keys: str) -> bool:
        return any(key in items and self.problems_at(items[key][1]) for key in keys)

    def repeat_fields(
        self, items: Entries, node: Node, repeat_id: str, qid: str | None
    ) -> tuple[Question, ...]:
        field_nodes = self.list_value(items, "fields", qid)
        if not field_nodes:
            if not self.problems_at_key(items, "fields"):
                self.report(ErrorCode.MISSING_REPEAT_FIELDS, items.get("fields", (node, node))[0], qid)
            return ()
        field_ids = []
        for field_node in field_nodes:
            if isinstance(field_node, MappingNode):
                for key_node, value_node in field_node.value:
                    if (
                        isinstance(key_node, ScalarNode)
                        and key_node.value == "id"
                        and isinstance(value_node, ScalarNode)
                    ):
                        field_ids.append(str(value_node.value))
        outer = self._current_fields
        self._current_fields = frozenset(field_ids)
        try:
            fields: list[Question] = []
            seen: dict[str, int | None] = {}
            for field_node in field_nodes:
                field = self.question(field_node, repeat_id or "?")
                if field is None:
                    continue
                self.unique(field.id, seen, field_node, "field", f"{repeat_id}.{field.id}")
                fields.append(field)
            return tuple(fields)
        finally:
            self._current_fields = outer

    def choice_list(self, items: Entries, key: str, qid: str | None, what: str) -> tuple[Choice, ...]:
        if key not in items:
            return ()
        choices: list[Choice] = []
        seen: set[str] = set()
        for node in self.list_value(items, key, qid):
            if isinstance(node, ScalarNode) and not _is_null(node):
                value, label, help_text = str(node.value), str(node.value), ""
            elif isinstance(node, MappingNode):
                entry = self.mapping(node, f"a {what}", CHOICE_KEYS, ("value",), qid=qid)
                if entry is None or "value" not in entry or _is_null(entry["value"][1]):
                    continue
                value = self.text_value(entry, "value", qid)
                label = self.text_value(entry, "label", qid, default=value)
                help_text = self.text_value(entry, "help", qid)
            else:
                self.report(
                    ErrorCode.WRONG_TYPE,
                    node,
                    qid,
                    key=key,
                    expected=f"a list of {what}s",
                    found=_describe(node),
                    example=" like [{value: a, label: A}] or [A, B]",
                )
                continue
            if not value.strip():
                self.report(
                    ErrorCode.WRONG_TYPE,
                    node,
                    qid,
                    key=key,
                    expected=f"a {what} value",
                    found="empty text",
                    example="",
                )
                continue
            if value in seen:
                self.report(ErrorCode.DUPLICATE_CHOICE, node, qid, what=what, value=value)
                continue
            seen.add(value)
            choices.append(Choice(value=value, label=label, help=help_text))
        return tuple(choices)

    def tags(self, items: Entries, qid: str | None, key: str = "tags") -> tuple[Tag, ...]:
        tags: list[Tag] = []
        for node in self.list_value(items, key, qid):
            name, value = "", ""
            if isinstance(node, ScalarNode) and not _is_null(node):
                name = str(node.value)
            elif isinstance(node, MappingNode) and len(node.value) == 1:
                key_node, value_node = node.value[0]
                if isinstance(key_node, ScalarNode) and isinstance(value_node, ScalarNode):
                    name, value = str(key_node.value), str(value_node.value)
            if not name or not ID_RE.fullmatch(name) or (value and ":" in value):
                self.report(ErrorCode.BAD_TAG, node, qid, found=_describe(node))
                continue
            tags.append(Tag(name, value))
        return tuple(tags)

    def constraints(
        self, items: Entries, qid: str | None, qtype: QuestionType, scope_names: frozenset[str]
    ) -> tuple[Constraint, ...]:
        constraints: list[Constraint] = []
        for node in self.list_value(items, "constraints", qid):
            entry = self.mapping(node, "a constraint", (*CONSTRAINT_KINDS, "message"), (), qid=qid)
            if entry is None:
                continue
            kinds = [k for k in CONSTRAINT_KINDS if k in entry]
            if len(kinds) != 1:
                problem = (
                    "no check given"
                    if not kinds
                    else f"one constraint has several checks ({', '.join(kinds)})"
                )
                self.report(
                    ErrorCode.BAD_CONSTRAINT,
                    node,
                    qid,
                    problem=problem,
                    suggestion="give each constraint exactly one of: " + ", ".join(CONSTRAINT_KINDS),
                )
                continue
            kind = kinds[0]
            value_node = entry[kind][1]
            if qtype not in _CONSTRAINT_TYPES[kind]:
                self.report(
                    ErrorCode.CONSTRAINT_NOT_FOR_TYPE,
                    entry[kind][0],
                    qid,
                    kind=kind,
                    type=qtype.value,
                    types=_names(_CONSTRAINT_TYPES[kind]),
                )
                continue
            message = self.text_value(entry, "message", qid)
            constraint = self.constraint(
                kind=kind,
                node=value_node,
                qid=qid,
                qtype=qtype,
                scope_names=scope_names,
                message=message,
                at=node,
            )
            if constraint is not None:
                constraints.append(constraint)
        return tuple(constraints)

    def constraint(
        self,
        *,
        kind: str,
        node: Node,
        qid: str | None,
        qtype: QuestionType,
        scope_names: frozenset[str],
        message: str,
        at: Node,
    ) -> Constraint | None:
        location = self.location(at)
        if kind == "pattern":
            pattern = self.pattern_value(node, qid, "pattern")
            if pattern is None:
                return None
            return Constraint(
                "pattern",
                message or "The answer is not in the expected form.",
                pattern=pattern,
                location=location,
            )
        if kind == "not_future":
            if not (isinstance(node, ScalarNode) and node.tag.endswith(":bool")):
                self.report(
                    ErrorCode.WRONG_TYPE,
                    node,
                    qid,
                    key="not_future",
                    expected="true",
                    found=_describe(node),
                    example="",
                )
                return None
            if not self.constructor.construct_object(node):
                return None
            return Constraint("not_future", message or "This cannot be in the future.", location=location)
        if kind == "expression":
            expression = self.expression_node(node, qid, "constraint expression", {"value", *scope_names})
            if expression is None:
                return None
            return Constraint(
                "expression",
                message or "The answer is not allowed here.",
                expression=expression,
                location=location,
            )
        bounds = self.mapping(node, f"a {kind} constraint", ("min", "max"), (), qid=qid)
        if bounds is None:
            return None
        if not bounds:
            self.report(
                ErrorCode.BAD_CONSTRAINT,
                node,
                qid,
                problem=f"{kind} needs min, max or both",
                suggestion=f"write {kind}: {{min: 1, max: 10}}",
            )
            return None
        low, high = (
            self.bound(bounds, end, kind, qtype, qid) if end in bounds else None for end in ("min", "max")
        )
        if low is not None and high is not None and _comparable(low, high) and _greater(low, high):
            self.report(ErrorCode.MIN_GREATER_THAN_MAX, node, qid, what=kind, minimum=low, maximum=high)
            return None
        default_message = _range_message(kind, low, high)
        return Constraint(kind, message or default_message, minimum=low, maximum=high, location=location)

    def bound(
        self, bounds: Entries, end: str, kind: str, qtype: QuestionType, qid: str | None
    ) -> float | str | None:
        node = bounds[end][1]
        if kind == "length" or qtype in {_T.INTEGER, _T.DECIMAL}:
            numeric = isinstance(node, ScalarNode) and node.tag.endswith((":int", ":float"))
            value = self.constructor.construct_object(node) if numeric else None
            if value is None or (kind == "length" and (not isinstance(value, int) or value < 0)):
                expected = "a whole number, 0 or more" if kind == "length" else "a number"
                self.report(
                    ErrorCode.WRONG_TYPE,
                    node,
                    qid,
                    key=f"{kind} {end}",
                    expected=expected,
                    found=_describe(node),
                    example="",
                )
                return None
            if (
                qtype is _T.INTEGER
                and kind == "range"
                and isinstance(value, float)
                and not value.is_integer()
            ):
                self.report(
                    ErrorCode.WRONG_TYPE,
                    node,
                    qid,
                    key=f"range {end}",
                    expected="a whole number",
                    found=_describe(node),
                    example="",
                )
                return None
            return float(value) if isinstance(value, float) else int(value)
        text = str(node.value) if isinstance(node, ScalarNode) else ""
        if qtype is _T.TIME:
            if TIME_RE.fullmatch(text):
                return text
            self.report(
                ErrorCode.BAD_DATE, node, qid, found=text or _describe(node), what="time", format="HH:MM"
            )
            return None
        if text in {"today", "now"}:
            return text
        try:
            parsed = (
                datetime.fromisoformat(text)
                if qtype is _T.DATETIME and "T" in text
                else date.fromisoformat(text)
            )
        except ValueError:
            fmt = "YYYY-MM-DD or today" if qtype is _T.DATE else "YYYY-MM-DDTHH:MM, YYYY-MM-DD or now"
            self.report(ErrorCode.BAD_DATE, node, qid, found=text or _describe(node), what="date", format=fmt)
            return None
        return parsed.isoformat(timespec="minutes") if isinstance(parsed, datetime) else parsed.isoformat()

    # --- rules and summary ---------------------------------------------------------------------
    def rules(self, entries: Entries) -> Iterator[Rule]:
        seen: dict[str, int | None] = {}
        for node in self.list_value(entries, "rules"):
            items = self.mapping(node, _where("rule", node), RULE_KEYS, ("id", "when", "message"))
            if items is None:
                continue
            rule_id = self.id_value(items, node, "rule") or ""
            self.unique(rule_id, seen, node, "rule", None)
            label = f"rule '{rule_id or '?'}'"
            severity_text = self.text_value(items, "severity", default=Severity.ERROR.value)
            if severity_text not in {s.value for s in Severity}:
                self.report(
                    ErrorCode.BAD_VALUE,
                    items["severity"][1],
                    key="severity",
                    found=severity_text,
                    allowed=", ".join(s.value for s in Severity),
                )
                severity_text = Severity.ERROR.value
            each_tag = self.text_value(items, "each_tag") or None
            if each_tag is not None:
                self.tag_lines.append((each_tag, _line(items["each_tag"][1]), None, f"{label}: each_tag"))
            local = ("value", "comment") if each_tag else ()
            when = self.expression(items, "when", None, f"{label}: when", local)
            targets: list[str] = []
            for target_node in self.list_value(items, "targets"):
                if isinstance(target_node, ScalarNode) and not _is_null(target_node):
                    targets.append(str(target_node.value))
                    self.target_nodes.append((str(target_node.value), target_node, f"{label}: target"))
                else:
                    self.report(
                        ErrorCode.WRONG_TYPE,
                        target_node,
                        key="targets",
                        expected="question ids",
                        found=_describe(target_node),
                        example="",
                    )
            if when is None:
                continue
            yield Rule(
                id=rule_id,
                when=when,
                severity=Severity(severity_text),
                message=self.text_value(items, "message"),
                targets=tuple(targets),
                each_tag=each_tag,
                tags=self.tags(items, None),
                location=self.location(node),
            )

    def summary(self, entries: Entries) -> Iterator[SummaryItem]:
        for node in self.list_value(entries, "summary"):
            items = self.mapping(node, "a summary line", SUMMARY_KEYS, ("label", "expression"))
            if items is None:
                continue
            label = self.text_value(items, "label")
            expression = self.expression(items, "expression", None, f"summary '{label}': expression")
            if expression is not None:
                yield SummaryItem(label, expression, self.location(node))

    # --- cross-checks once every id is known -----------------------------------------------------
    def check_duplicate_names(self, questions: list[Question], constants: Mapping[str, Any]) -> None:
        seen: dict[str, int | None] = {}
        for question in questions:
            if not question.id:
                continue
            line = question.location.line if question.location else None
            if question.id in seen:
                self.report(
                    ErrorCode.DUPLICATE_ID,
                    line,
                    question.id,
                    kind="question",
                    id=question.id,
                    first_line=seen[question.id],
                )
                continue
            seen[question.id] = line
            if question.comment:
                seen.setdefault(question.comment_id, line)
        for name in constants:
            if name in seen:
                self.report(
                    ErrorCode.DUPLICATE_ID,
                    self._constant_line(name),
                    None,
                    kind="constant/question",
                    id=name,
                    first_line=seen[name],
                )

    def _constant_line(self, name: str) -> int | None:
        for number, text in enumerate(self.text.splitlines(), start=1):
            if text.strip().startswith(f"{name}:"):
                return number
        return None

    def check_references(self, spec: FormSpec) -> None:
        questions = {q.id: q for _s, _p, q in spec.iter_questions() if q.id}
        names = set(questions) | set(spec.constants)
        names |= {q.comment_id for q in questions.values() if q.comment}
        known_tags = {key for q in questions.values() for key in tag_keys(q)}
        for use in self.expressions:
            self.check_names(
                use, use.expression.references, use.expression.item_scopes, names | use.local_names, questions
            )
            for tag in sorted(use.expression.tags):
                if tag not in known_tags:
                    self.report(
                        ErrorCode.UNKNOWN_TAG,
                        use.line,
                        use.question_id,
                        key=use.key,
                        tag=tag,
                        suggestion=_choice_suggestion(tag, known_tags, "tags used in this form"),
                    )
        for name, node, qid in self.former_nodes:
            if name in questions:
                self.report(ErrorCode.FORMER_ID_IN_USE, node, qid, name=name)
        for tag, line, qid, key in self.tag_lines:
            if tag not in known_tags:
                self.report(
                    ErrorCode.UNKNOWN_TAG,
                    line,
                    qid,
                    key=key,
                    tag=tag,
                    suggestion=_choice_suggestion(tag, known_tags, "tags used in this form"),
                )
        for target, node, key in self.target_nodes:
            if target not in questions:
                self.report(
                    ErrorCode.UNKNOWN_TARGET,
                    node,
                    None,
                    key=key,
                    name=target,
                    suggestion=suggest_name(target, questions),
                )

    def check_names(
        self,
        use: _ExpressionUse,
        references: frozenset[str],
        scopes: tuple[ItemScope, ...],
        names: set[str] | frozenset[str],
        questions: Mapping[str, Question],
    ) -> None:
        for name in sorted(references):
            if name not in names:
                suggestion = suggest_name(name, names)
                if name in {"value", "comment"}:
                    suggestion = (
                        f"'{name}' exists only in each_tag rules and constraints; use a question id here"
                    )
                self.report(
                    ErrorCode.UNKNOWN_NAME,
                    use.line,
                    use.question_id,
                    key=use.key,
                    name=name,
                    suggestion=suggestion,
                )
        for scope in scopes:
            repeat = questions.get(scope.repeat)
            if repeat is None or scope.repeat not in names:
                continue  # already reported as an unknown name
            if repeat.type is not QuestionType.REPEAT:
                self.report(
                    ErrorCode.NOT_A_REPEAT,
                    use.line,
                    use.question_id,
                    key=use.key,
                    name=scope.repeat,
                    type=repeat.type.value,
                )
                continue
            inner = set(names) | {f.id for f in repeat.fields}
            self.check_names(use, scope.references, scope.item_scopes, inner, questions)


class _Bad:
    pass


_BAD = _Bad()


_PLAIN_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
)


def _where(kind: str, node: Node) -> str:
    """ "page 'details'" for messages, read before the id itself is validated."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, ScalarNode)
                and key_node.value == "id"
                and isinstance(value_node, ScalarNode)
            ):
                if not _is_null(value_node) and str(value_node.value):
                    return f"{kind} '{str(value_node.value)[:64]}'"
    return f"a {kind}"


def _is_blank(node: Node) -> bool:
    return _is_null(node) or (isinstance(node, ScalarNode) and not str(node.value).strip())


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag.endswith(":null")


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _reader_line(text: str, exc: yaml.YAMLError) -> int | None:
    position = getattr(exc, "position", None)
    if isinstance(position, int):
        return text.count("\n", 0, position) + 1
    return None


def _key_suggestion(key: str, allowed: Collection[str]) -> str:
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "allowed here: " + ", ".join(allowed)


def _choice_suggestion(word: str, options: Collection[str], what: str) -> str:
    close = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"use one of the {what}: " + ", ".join(sorted(options))


def _comparable(a: float | str, b: float | str) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a not in {"today", "now"} and b not in {"today", "now"}
    return not isinstance(a, str) and not isinstance(b, str)


def _greater(a: float | str, b: float | str) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a > b
    if not isinstance(a, str) and not isinstance(b, str):
        return a > b
    return False


def _range_message(kind: str, low: float | str | None, high: float | str | None) -> str:
    unit = " characters (or items)" if kind == "length" else ""
    if low is not None and high is not None:
        return f"Must be between {low} and {high}{unit}."
    if low is not None:
        return f"Must be at least {low}{unit}."
    return f"Must be at most {high}{unit}."


# ------------------------------------------------------------------------------------------------
# Public API


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def load_form_text(text: str, source_name: str) -> FormSpec:
    """Compile a definition held in memory. Raises FormDefinitionErrors with every problem found."""
    size = len(text.encode("utf-8", "surrogatepass")) if len(text) <= MAX_FILE_BYTES else len(text)
    if size > MAX_FILE_BYTES:
        raise FormDefinitionErrors([_too_large(source_name, size)])
    if "\x00" in text:
        raise FormDefinitionErrors(
            [
                FormProblem.make(
                    ErrorCode.FILE_NOT_TEXT,
                    source_name,
                    None,
                    detail="it contains NUL bytes; it looks like a binary file",
                )
            ]
        )
    loader = _Loader(text, source_name)
    try:
        spec = loader.load()
    except RecursionError:
        loader.report(
            ErrorCode.YAML_SYNTAX,
            None,
            problem="the file is nested too deeply",
            suggestion="a form needs at most about ten levels of indentation",
        )
        spec = None
    if spec is None:
        log.forms.info("form definition %s rejected with %d problem(s)", source_name, len(loader.problems))
        raise FormDefinitionErrors(loader.problems)
    return spec


def _too_large(source_name: str, size: int) -> FormProblem:
    return FormProblem.make(
        ErrorCode.FILE_TOO_LARGE, source_name, None, size=_human_size(size), limit=_human_size(MAX_FILE_BYTES)
    )


def _human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{size / 1024:.0f} KB"


def read_definition_text(path: str | Path) -> str:
    """The text of a definition file, refusing early what cannot be one (too big, binary, not UTF-8)."""
    name = str(path)
    file_path = Path(path)
    try:
        if file_path.is_dir():
            raise FormDefinitionErrors(
                [FormProblem.make(ErrorCode.FILE_UNREADABLE, name, None, reason="it is a folder")]
            )
        size = file_path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise FormDefinitionErrors([_too_large(name, size)])  # refused before reading a byte
        with file_path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise FormDefinitionErrors(
            [FormProblem.make(ErrorCode.FILE_UNREADABLE, name, None, reason="there is no such file")]
        ) from None
    except PermissionError:
        raise FormDefinitionErrors(
            [FormProblem.make(ErrorCode.FILE_UNREADABLE, name, None, reason="permission denied")]
        ) from None
    except OSError as exc:
        raise FormDefinitionErrors(
            [
                FormProblem.make(
                    ErrorCode.FILE_UNREADABLE, name, None, reason=exc.strerror or type(exc).__name__
                )
            ]
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise FormDefinitionErrors([_too_large(name, len(data))])
    if b"\x00" in data:
        raise FormDefinitionErrors(
            [
                FormProblem.make(
                    ErrorCode.FILE_NOT_TEXT,
                    name,
                    None,
                    detail="it contains NUL bytes; it looks like a binary file",
                )
            ]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormDefinitionErrors(
            [
                FormProblem.make(
                    ErrorCode.FILE_NOT_TEXT, name, line, detail=f"byte {exc.start} on this line is not UTF-8"
                )
            ]
        ) from None


def load_form(path: str | Path) -> FormSpec:
    """Compile one definition file. Raises FormDefinitionErrors (never a YAML or OS exception)."""
    text = read_definition_text(path)
    return load_form_text(text, str(path))


def load_forms_dir(path: str | Path) -> dict[str, FormSpec]:
    """Every ``*.yaml``/``*.yml`` in a folder, by form id. Problems from every file are raised together."""
    folder = Path(path)
    if not folder.is_dir():
        raise FormDefinitionErrors(
            [FormProblem.make(ErrorCode.FILE_UNREADABLE, str(path), None, reason="there is no such folder")]
        )
    problems: list[FormProblem] = []
    specs: dict[str, FormSpec] = {}
    files = sorted(
        p for p in folder.iterdir() if p.suffix.lower() in {".yaml", ".yml"} and not p.name.startswith(".")
    )
    for file in files:
        try:
            spec = load_form(file)
        except FormDefinitionErrors as exc:
            problems.extend(exc.problems)
            continue
        if spec.id in specs:
            problems.append(
                FormProblem.make(
                    ErrorCode.DUPLICATE_FORM_ID, str(file), 1, id=spec.id, other=specs[spec.id].source_path
                )
            )
            continue
        specs[spec.id] = spec
    if problems:
        raise FormDefinitionErrors(problems)
    return specs


_CACHE_SIZE = 32
_cache: OrderedDict[str, FormSpec] = OrderedDict()
_cache_lock = threading.Lock()


def compile_cached(text: str, source_name: str) -> FormSpec:
    """`load_form_text` memoised by content hash: reopening drafts pinned to the same definition is free."""
    key = content_hash(text)
    with _cache_lock:
        spec = _cache.get(key)
        if spec is not None:
            _cache.move_to_end(key)
            return spec
    spec = load_form_text(text, source_name)
    with _cache_lock:
        _cache[key] = spec
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return spec


def with_source_path(spec: FormSpec, path: str) -> FormSpec:
    """A copy pointing at another file name (the index is shared: it does not depend on the path)."""
    return replace(spec, source_path=path)
