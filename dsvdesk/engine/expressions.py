"""The small, safe expression language of form definitions (docs/forms.md, "Expressions").

Text is parsed once with ``ast.parse(mode="eval")`` and only a whitelisted set of nodes is accepted;
each node is turned into a closure, so evaluation never touches ``eval``/``exec`` and costs a few
function calls. Evaluation is total: ``null`` and mismatched types give ``null``/``false``, never an
exception, because answers are whatever an officer has typed so far.
"""

from __future__ import annotations

import ast
import difflib
import keyword
import math
import operator
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from dsvdesk.engine.errors import ErrorCode

MAX_EXPRESSION_LENGTH = 4000
MAX_DEPTH = 60

LITERAL_NAMES: Mapping[str, Any] = {"true": True, "false": False, "null": None}
# Names an id may not take: they mean something else inside an expression.
RESERVED_NAMES = frozenset({*LITERAL_NAMES, "value", "comment", *keyword.kwlist})


# ------------------------------------------------------------------------------------------------
# Environments: where names get their values


class Environment(Protocol):
    """What an expression can see. The completeness engine supplies the full one."""

    @property
    def now(self) -> datetime: ...

    def lookup(self, name: str) -> Any: ...

    def tagged(self, tag: str) -> Iterable[tuple[str, Any]]:
        """(question id, value) of the *visible* questions carrying `tag` (``name`` or ``name:value``)."""
        ...

    def fields_of(self, repeat: str) -> Collection[str] | None:
        """The field ids of a repeat question, or None when unknown (then an item's own keys are used)."""
        ...


class MappingEnvironment:
    """Names from a plain mapping (tests, summary lines, tools). Knows no tags; repeat fields only if given."""

    __slots__ = ("_now", "repeat_fields", "values")

    def __init__(
        self,
        values: Mapping[str, Any],
        now: datetime | None = None,
        repeat_fields: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self.values = values
        self._now = now or datetime.now()
        self.repeat_fields = repeat_fields or {}

    @property
    def now(self) -> datetime:
        return self._now

    def lookup(self, name: str) -> Any:
        return self.values.get(name)

    def tagged(self, tag: str) -> Iterable[tuple[str, Any]]:
        return ()

    def fields_of(self, repeat: str) -> Collection[str] | None:
        return self.repeat_fields.get(repeat)


class ScopedEnvironment:
    """Local names (a repeat item's fields, or `value`/`comment`) in front of an outer environment.

    A local name that is absent from `local` is null: it must never fall through to an outer
    question that happens to share the id.
    """

    __slots__ = ("local", "names", "parent")

    def __init__(self, local: Mapping[str, Any], names: Collection[str], parent: Environment) -> None:
        self.local = local
        self.names = names
        self.parent = parent

    @property
    def now(self) -> datetime:
        return self.parent.now

    def lookup(self, name: str) -> Any:
        if name in self.names:
            return self.local.get(name)
        return self.parent.lookup(name)

    def tagged(self, tag: str) -> Iterable[tuple[str, Any]]:
        return self.parent.tagged(tag)

    def fields_of(self, repeat: str) -> Collection[str] | None:
        return self.parent.fields_of(repeat)


# ------------------------------------------------------------------------------------------------
# Errors and the parsed form


class ExpressionError(Exception):
    """The text is not a valid expression. `code` is the catalogue entry; `context` fills its template."""

    def __init__(self, code: ErrorCode, **context: Any) -> None:
        self.code = code
        self.context = context
        super().__init__(code.format(**context)[0])


@dataclass(frozen=True, slots=True)
class ItemScope:
    """Names used inside ``any_item(repeat, <body>)``: checked against the repeat's fields + outer names."""

    repeat: str
    references: frozenset[str]
    item_scopes: tuple[ItemScope, ...] = ()


Evaluator = Callable[[Environment], Any]


@dataclass(frozen=True, slots=True)
class Expression:
    source: str
    references: frozenset[str]  # names used at the top level (question ids, constants, value/comment)
    item_scopes: tuple[ItemScope, ...] = ()  # names used inside any_item/all_items/count_items bodies
    tags: frozenset[str] = frozenset()  # tags counted by count_tagged/list_tagged
    functions: frozenset[str] = frozenset()
    _evaluator: Evaluator = field(default=lambda env: None, compare=False, repr=False)

    @classmethod
    def parse(cls, source: str) -> Expression:
        """Parse and check the shape of `source`; raises ExpressionError (never SyntaxError)."""
        return _Compiler(source).compile()

    def evaluate(self, env: Environment | Mapping[str, Any]) -> Any:
        environment: Environment = MappingEnvironment(env) if isinstance(env, Mapping) else env
        try:
            return self._evaluator(environment)
        except (TypeError, ValueError, ArithmeticError, RecursionError, AttributeError, KeyError, IndexError):
            # Closures guard each operation; this is the last net so a keystroke never crashes the app.
            return None

    def is_true(self, env: Environment | Mapping[str, Any]) -> bool:
        return truthy(self.evaluate(env))

    def all_references(self) -> frozenset[str]:
        """Every name used anywhere, item scopes included (an over-approximation for dependencies)."""
        names = set(self.references)
        stack = list(self.item_scopes)
        while stack:
            scope = stack.pop()
            names.add(scope.repeat)
            names.update(scope.references)
            stack.extend(scope.item_scopes)
        return frozenset(names)

    def __str__(self) -> str:
        return self.source


# ------------------------------------------------------------------------------------------------
# Value helpers (shared with the completeness engine)


def truthy(value: Any) -> bool:
    try:
        return bool(value)
    except (TypeError, ValueError):
        return False


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def to_temporal(value: Any) -> date | None:
    """A date or datetime from an answer ('YYYY-MM-DD', 'YYYY-MM-DDTHH:MM') or a date object; else None."""
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not 8 <= len(value) <= 40:
        return None
    text = value.strip()
    try:
        if "T" in text or " " in text:
            return datetime.fromisoformat(text).replace(tzinfo=None)
        return date.fromisoformat(text)
    except ValueError:
        return None


def to_date(value: Any) -> date | None:
    temporal = to_temporal(value)
    if isinstance(temporal, datetime):
        return temporal.date()
    return temporal


_PLAIN_TYPES = frozenset({str, int, bool})


def _align(a: Any, b: Any) -> tuple[Any, Any]:
    """Make dates comparable with ISO strings, and datetimes with dates."""
    if isinstance(a, date) or isinstance(b, date):
        ta, tb = to_temporal(a), to_temporal(b)
        if ta is None or tb is None:
            return a, b
        if isinstance(ta, datetime) != isinstance(tb, datetime):
            ta = ta.date() if isinstance(ta, datetime) else ta
            tb = tb.date() if isinstance(tb, datetime) else tb
        return ta, tb
    return a, b


def _equal(a: Any, b: Any) -> bool:
    if a.__class__ is b.__class__ and a.__class__ in _PLAIN_TYPES:
        return bool(a == b)  # the common case (answer text against a literal), without coercion
    if a is None or b is None:
        return a is None and b is None
    a, b = _align(a, b)
    if isinstance(a, bool) != isinstance(b, bool):
        return False  # true == 1 would surprise a form author
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


equal = _equal  # public name: the language's ==


def _ordered(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], bool]:
    def compare(a: Any, b: Any) -> bool:
        if a is None or b is None:
            return False
        a, b = _align(a, b)
        if is_number(a) and is_number(b):
            return bool(op(a, b))
        if type(a) is not type(b) or isinstance(a, bool):
            return False
        try:
            return bool(op(a, b))
        except (TypeError, ValueError):
            return False

    return compare


def _contains(item: Any, container: Any) -> bool:
    if container is None:
        return False
    if isinstance(container, str):
        return isinstance(item, str) and item in container
    if isinstance(container, Mapping):
        try:
            return item in container
        except TypeError:
            return False
    if isinstance(container, list | tuple | set | frozenset):
        return any(_equal(item, member) for member in container)
    return False


def _arith(op: Callable[[Any, Any], Any], name: str) -> Callable[[Any, Any], Any]:
    def apply(a: Any, b: Any) -> Any:
        if a is None or b is None:
            return None
        if is_number(a) and is_number(b):
            try:
                result = op(a, b)
            except (ArithmeticError, ValueError):
                return None
            if isinstance(result, float) and not math.isfinite(result):
                return None
            return result
        if name == "+" and isinstance(a, str) and isinstance(b, str):
            return a + b
        if name == "+" and isinstance(a, list) and isinstance(b, list):
            return a + b
        return None

    return apply


_COMPARE: Mapping[type[ast.cmpop], Callable[[Any, Any], bool]] = {
    ast.Eq: _equal,
    ast.NotEq: lambda a, b: not _equal(a, b),
    ast.Lt: _ordered(operator.lt),
    ast.LtE: _ordered(operator.le),
    ast.Gt: _ordered(operator.gt),
    ast.GtE: _ordered(operator.ge),
    ast.In: _contains,
    ast.NotIn: lambda a, b: not _contains(a, b),
}
_BINARY: Mapping[type[ast.operator], tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", _arith(operator.add, "+")),
    ast.Sub: ("-", _arith(operator.sub, "-")),
    ast.Mult: ("*", _arith(operator.mul, "*")),
    ast.Div: ("/", _arith(operator.truediv, "/")),
}
_PYTHON_ONLY_HINTS: Mapping[type[ast.AST], str] = {
    ast.Attribute: "'.' is not allowed; refer to a question by its id",
    ast.Subscript: "'[...]' after a name is not allowed; use the list functions",
    ast.IfExp: "'a if c else b' is not allowed; use choose(c, a, b)",
    ast.Lambda: "lambda is not allowed",
    ast.Dict: "'{...}' is not allowed",
    ast.Set: "'{...}' is not allowed",
    ast.JoinedStr: "f-strings are not allowed; use 'text' + other",
    ast.ListComp: "comprehensions are not allowed; use any_item/count_items",
    ast.GeneratorExp: "comprehensions are not allowed; use any_item/count_items",
    ast.NamedExpr: "':=' is not allowed",
    ast.Starred: "'*' is not allowed here",
    ast.Tuple: "use [a, b] for a list",
    ast.Await: "not allowed",
}


# ------------------------------------------------------------------------------------------------
# Functions


def _as_list(value: Any) -> list[Any] | None:
    if isinstance(value, list | tuple):
        return list(value)
    return None


def _fn_count(items: Any, value: Any) -> int:
    seq = _as_list(items)
    return 0 if seq is None else sum(1 for item in seq if _equal(item, value))


def _fn_len(value: Any) -> int:
    if isinstance(value, str | list | tuple | dict):
        return len(value)
    return 0


def answered(value: Any) -> bool:
    """True when a question has an answer: not null, not blank text, not an empty list/grid."""
    if value is None:
        return False
    if isinstance(value, str):
        return value.strip() != ""
    if isinstance(value, list | tuple | dict):
        return len(value) > 0
    return True


def days_between(a: Any, b: Any) -> int | None:
    da, db = to_date(a), to_date(b)
    if da is None or db is None:
        return None
    return (db - da).days


def months_between(a: Any, b: Any) -> int | None:
    """Whole calendar months from a to b (negative when b is earlier)."""
    da, db = to_date(a), to_date(b)
    if da is None or db is None:
        return None
    if db < da:
        forward = months_between(db, da)
        return None if forward is None else -forward
    months = (db.year - da.year) * 12 + (db.month - da.month)
    if db.day < da.day:
        months -= 1
    return months


def years_between(a: Any, b: Any) -> int | None:
    months = months_between(a, b)
    if months is None:
        return None
    return int(months / 12)


def _fn_compact(items: Any) -> list[Any]:
    seq = _as_list(items)
    return [] if seq is None else [item for item in seq if item is not None]


def _extreme(pick: Callable[[Sequence[Any]], Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        values = args[0] if len(args) == 1 and isinstance(args[0], list | tuple) else args
        present = [v for v in values if v is not None]
        if not present:
            return None
        if all(is_number(v) for v in present):
            return pick(present)
        temporals = [to_temporal(v) for v in present]
        if all(t is not None for t in temporals):
            if all(isinstance(t, datetime) for t in temporals):
                return pick(temporals)
            return pick([t.date() if isinstance(t, datetime) else t for t in temporals])
        if all(isinstance(v, str) for v in present):
            return pick(present)
        return None

    return apply


def _fn_round(value: Any, digits: Any = 0) -> Any:
    if not is_number(value) or not (is_number(digits) and float(digits).is_integer()):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    result = round(value, int(digits))
    return int(result) if int(digits) <= 0 else result


# name -> (min args, max args or None for any, implementation). Functions that need the environment
# or lazy arguments (count_tagged, any_item, when, choose ...) are compiled specially below.
_SIMPLE_FUNCTIONS: Mapping[str, tuple[int, int | None, Callable[..., Any]]] = {
    "count": (2, 2, _fn_count),
    "len": (1, 1, _fn_len),
    "answered": (1, 1, answered),
    "date": (1, 1, to_date),
    "days_between": (2, 2, days_between),
    "months_between": (2, 2, months_between),
    "years_between": (2, 2, years_between),
    "compact": (1, 1, _fn_compact),
    "min": (1, None, _extreme(min)),
    "max": (1, None, _extreme(max)),
    "round": (1, 2, _fn_round),
}
_SPECIAL_FUNCTIONS: Mapping[str, tuple[int, int]] = {
    "count_tagged": (2, 2),
    "list_tagged": (2, 2),
    "any_item": (2, 2),
    "all_items": (2, 2),
    "count_items": (2, 2),
    "today": (0, 0),
    "now": (0, 0),
    "when": (2, 2),
    "choose": (3, 3),
}
FUNCTIONS = frozenset({*_SIMPLE_FUNCTIONS, *_SPECIAL_FUNCTIONS})
ITEM_FUNCTIONS = frozenset({"any_item", "all_items", "count_items"})
TAG_FUNCTIONS = frozenset({"count_tagged", "list_tagged"})


def _suggest(word: str, candidates: Iterable[str], what: str) -> str:
    close = difflib.get_close_matches(word, sorted(candidates), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return f"use one of the {what}"


def _safe_call(fn: Callable[..., Any], args: list[Any]) -> Any:
    try:
        return fn(*args)
    except (TypeError, ValueError, ArithmeticError, OverflowError):
        return None


# ------------------------------------------------------------------------------------------------
# The compiler: AST -> closures, collecting the names used


class _Compiler:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tags: set[str] = set()
        self.functions: set[str] = set()

    def fail(self, code: ErrorCode, **context: Any) -> ExpressionError:
        return ExpressionError(code, source=self.source, **context)

    def syntax(
        self, problem: str, suggestion: str = "see the Expressions section of docs/forms.md"
    ) -> ExpressionError:
        return self.fail(ErrorCode.EXPRESSION_SYNTAX, problem=problem, suggestion=suggestion)

    def compile(self) -> Expression:
        text = self.source
        if not isinstance(text, str) or not text.strip():
            raise self.syntax("it is empty", "write a condition, e.g. dash_q1 == 'yes'")
        if len(text) > MAX_EXPRESSION_LENGTH:
            raise self.syntax(
                f"it is longer than {MAX_EXPRESSION_LENGTH} characters", "split it into computed values"
            )
        if "\x00" in text:
            raise self.syntax("it contains a NUL character", "retype the expression")
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError as exc:
            where = f" at character {exc.offset}" if exc.offset else ""
            raise self.syntax(f"{exc.msg}{where}", "check brackets, quotes and operators") from None
        except (RecursionError, MemoryError, ValueError):
            raise self.syntax("it is nested too deeply", "split it into computed values") from None
        references: set[str] = set()
        scopes: list[ItemScope] = []
        evaluator = self.node(tree.body, references, scopes, 0)
        return Expression(
            source=text,
            references=frozenset(references),
            item_scopes=tuple(scopes),
            tags=frozenset(self.tags),
            functions=frozenset(self.functions),
            _evaluator=evaluator,
        )

    def node(self, node: ast.AST, refs: set[str], scopes: list[ItemScope], depth: int) -> Evaluator:
        if depth > MAX_DEPTH:
            raise self.syntax("it is nested too deeply", "split it into computed values")
        depth += 1
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node, refs)
        if isinstance(node, ast.List):
            parts = [self.node(e, refs, scopes, depth) for e in node.elts]
            return lambda env: [part(env) for part in parts]
        if isinstance(node, ast.BoolOp):
            parts = [self.node(v, refs, scopes, depth) for v in node.values]
            if isinstance(node.op, ast.And):
                return lambda env: all(truthy(part(env)) for part in parts)
            return lambda env: any(truthy(part(env)) for part in parts)
        if isinstance(node, ast.UnaryOp):
            return self.unary(node, refs, scopes, depth)
        if isinstance(node, ast.BinOp):
            entry = _BINARY.get(type(node.op))
            if entry is None:
                raise self.syntax(
                    f"the operator {ast.unparse(node)!r} is not allowed", "use only + - * / on numbers"
                )
            fn = entry[1]
            left, right = (
                self.node(node.left, refs, scopes, depth),
                self.node(node.right, refs, scopes, depth),
            )
            return lambda env: fn(left(env), right(env))
        if isinstance(node, ast.Compare):
            return self.compare(node, refs, scopes, depth)
        if isinstance(node, ast.Call):
            return self.call(node, refs, scopes, depth)
        hint = _PYTHON_ONLY_HINTS.get(type(node))
        raise self.syntax(hint or f"'{type(node).__name__}' is not part of the expression language")

    def constant(self, node: ast.Constant) -> Evaluator:
        value = node.value
        if value is None or isinstance(value, bool | int | float | str):
            if isinstance(value, float) and not math.isfinite(value):
                raise self.syntax("numbers must be finite")
            return lambda env: value
        raise self.syntax(
            f"the literal {ast.unparse(node)!r} is not allowed", "use 'text', numbers, true, false, null"
        )

    def name(self, node: ast.Name, refs: set[str]) -> Evaluator:
        ident = node.id
        if ident in LITERAL_NAMES:
            literal = LITERAL_NAMES[ident]
            return lambda env: literal
        if ident in FUNCTIONS:
            raise self.syntax(f"'{ident}' is a function; call it as {ident}(...)")
        refs.add(ident)
        return lambda env: env.lookup(ident)

    def unary(self, node: ast.UnaryOp, refs: set[str], scopes: list[ItemScope], depth: int) -> Evaluator:
        operand = self.node(node.operand, refs, scopes, depth)
        if isinstance(node.op, ast.Not):
            return lambda env: not truthy(operand(env))
        if isinstance(node.op, ast.USub):

            def negate(env: Environment) -> Any:
                value = operand(env)
                return -value if is_number(value) else None

            return negate
        if isinstance(node.op, ast.UAdd):

            def plus(env: Environment) -> Any:
                value = operand(env)
                return value if is_number(value) else None

            return plus
        raise self.syntax("'~' is not allowed")

    def compare(self, node: ast.Compare, refs: set[str], scopes: list[ItemScope], depth: int) -> Evaluator:
        left = self.node(node.left, refs, scopes, depth)
        steps: list[tuple[Callable[[Any, Any], bool], Evaluator]] = []
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            fn = _COMPARE.get(type(op))
            if fn is None:
                raise self.syntax("'is' is not allowed", "use == or != (e.g. x == null)")
            steps.append((fn, self.node(comparator, refs, scopes, depth)))

        if len(steps) == 1:
            fn0, right0 = steps[0]
            return lambda env: fn0(left(env), right0(env))

        def chain(env: Environment) -> bool:
            current = left(env)
            for fn, right in steps:
                following = right(env)
                if not fn(current, following):
                    return False
                current = following
            return True

        return chain

    def call(self, node: ast.Call, refs: set[str], scopes: list[ItemScope], depth: int) -> Evaluator:
        if not isinstance(node.func, ast.Name):
            raise self.syntax("only the listed functions can be called, by name")
        name = node.func.id
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise self.fail(
                ErrorCode.BAD_ARGUMENTS,
                problem=f"{name}() takes plain arguments only",
                suggestion=f"write {name}(a, b) without name= or *",
            )
        if name not in FUNCTIONS:
            raise self.fail(
                ErrorCode.UNKNOWN_FUNCTION,
                name=name,
                suggestion=_suggest(name, FUNCTIONS, "functions in docs/forms.md"),
            )
        low, high = _SIMPLE_FUNCTIONS[name][:2] if name in _SIMPLE_FUNCTIONS else _SPECIAL_FUNCTIONS[name]
        count = len(node.args)
        if count < low or (high is not None and count > high):
            wanted = str(low) if low == high else (f"{low} or more" if high is None else f"{low} to {high}")
            raise self.fail(
                ErrorCode.BAD_ARGUMENTS,
                problem=f"{name}() takes {wanted} argument{'s' if wanted != '1' else ''}, not {count}",
                suggestion="see the function table in docs/forms.md",
            )
        self.functions.add(name)
        if name in _SIMPLE_FUNCTIONS:
            fn = _SIMPLE_FUNCTIONS[name][2]
            args = [self.node(a, refs, scopes, depth) for a in node.args]
            return lambda env: _safe_call(fn, [arg(env) for arg in args])
        if name in TAG_FUNCTIONS:
            return self.tag_call(name, node, refs, scopes, depth)
        if name in ITEM_FUNCTIONS:
            return self.item_call(name, node, refs, scopes, depth)
        if name == "today":
            return lambda env: env.now.date()
        if name == "now":
            return lambda env: env.now.replace(second=0, microsecond=0)
        args = [self.node(a, refs, scopes, depth) for a in node.args]
        if name == "when":
            cond, then = args
            return lambda env: then(env) if truthy(cond(env)) else None
        cond, then, otherwise = args  # choose
        return lambda env: then(env) if truthy(cond(env)) else otherwise(env)

    def tag_call(
        self, name: str, node: ast.Call, refs: set[str], scopes: list[ItemScope], depth: int
    ) -> Evaluator:
        tag_node = node.args[0]
        if not (isinstance(tag_node, ast.Constant) and isinstance(tag_node.value, str)):
            raise self.fail(
                ErrorCode.BAD_ARGUMENTS,
                problem=f"the first argument of {name}() must be a tag name in quotes",
                suggestion=f"write {name}('dash', 'yes')",
            )
        tag = tag_node.value
        self.tags.add(tag)
        wanted = self.node(node.args[1], refs, scopes, depth)
        if name == "count_tagged":
            return lambda env: _count_tagged(env, tag, wanted(env))
        return lambda env: _list_tagged(env, tag, wanted(env))

    def item_call(
        self, name: str, node: ast.Call, refs: set[str], scopes: list[ItemScope], depth: int
    ) -> Evaluator:
        repeat_node = node.args[0]
        if not isinstance(repeat_node, ast.Name) or repeat_node.id in LITERAL_NAMES:
            raise self.fail(
                ErrorCode.BAD_ARGUMENTS,
                problem=f"the first argument of {name}() must be the id of a repeat question",
                suggestion=f"write {name}(children, age < 18)",
            )
        repeat = repeat_node.id
        refs.add(repeat)
        body_refs: set[str] = set()
        body_scopes: list[ItemScope] = []
        body = self.node(node.args[1], body_refs, body_scopes, depth)
        scopes.append(ItemScope(repeat, frozenset(body_refs), tuple(body_scopes)))

        def items(env: Environment) -> Iterable[Environment]:
            value = env.lookup(repeat)
            if not isinstance(value, list):
                return
            names = env.fields_of(repeat)
            for item in value:
                if isinstance(item, Mapping):
                    yield ScopedEnvironment(item, names if names is not None else item.keys(), env)

        if name == "any_item":
            return lambda env: any(truthy(body(scope)) for scope in items(env))
        if name == "all_items":
            return lambda env: all(truthy(body(scope)) for scope in items(env))
        return lambda env: sum(1 for scope in items(env) if truthy(body(scope)))


def _count_tagged(env: Environment, tag: str, wanted: Any) -> int:
    fast = getattr(env, "count_tagged", None)  # the form environment memoises counts
    if fast is not None:
        count: int | None = fast(tag, wanted)
        if count is not None:
            return count
    return sum(1 for _qid, value in env.tagged(tag) if _equal(value, wanted))


def _list_tagged(env: Environment, tag: str, wanted: Any) -> list[str]:
    return [qid for qid, value in env.tagged(tag) if _equal(value, wanted)]


def suggest_name(name: str, known: Iterable[str]) -> str:
    """The fix text for an unknown name: the closest known id, if any."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    if close:
        return f"did you mean '{close[0]}'?"
    return "use the id of a question, computed value or constant defined in this form"
