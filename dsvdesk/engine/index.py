"""Look-ups and evaluation order computed once per form, so evaluation on every keystroke is cheap.

The loader attaches a `FormIndex` to each `FormSpec` it makes; a spec built by hand (tests, tools)
gets one lazily through `index_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dsvdesk.engine.expressions import Expression
from dsvdesk.engine.spec import FormSpec, Page, Question, QuestionType, Rule, Section

# A node of the dependency graph: a page (its visibility) or a top-level question (its value).
Node = Page | Question


@dataclass(frozen=True, slots=True)
class FormIndex:
    questions: Mapping[str, Question]  # top-level questions by id, in form order
    page_of_question: Mapping[str, Page]
    section_of_page: Mapping[str, Section]
    pages: Mapping[str, Page]
    rules_by_id: Mapping[str, Rule]
    # tag key -> ids of the questions carrying it, in form order. A keyed tag `specss: separation`
    # is listed under both "specss" and "specss:separation".
    tagged: Mapping[str, tuple[str, ...]]
    repeat_fields: Mapping[str, frozenset[str]]  # repeat question id -> its field ids
    evaluation_order: tuple[Node, ...]  # pages and questions, each after everything it depends on
    cycles: tuple[tuple[Node, ...], ...]  # dependency circles (empty for any spec the loader made)


def tag_keys(question: Question) -> Iterable[str]:
    for tag in question.tags:
        yield tag.name
        if tag.value:
            yield f"{tag.name}:{tag.value}"


def node_label(node: Node) -> str:
    if isinstance(node, Page):
        return f"page '{node.id}'"
    return f"{'computed value' if node.type is QuestionType.COMPUTED else 'question'} '{node.id}'"


def _expression_dependencies(
    expression: Expression | None, questions: Mapping[str, Question], tagged: Mapping[str, tuple[str, ...]]
) -> list[str]:
    if expression is None:
        return []
    names = [name for name in sorted(expression.all_references()) if name in questions]
    for tag in sorted(expression.tags):
        names.extend(tagged.get(tag, ()))
    return names


def build_index(spec: FormSpec) -> FormIndex:
    questions: dict[str, Question] = {}
    page_of_question: dict[str, Page] = {}
    section_of_page: dict[str, Section] = {}
    pages: dict[str, Page] = {}
    tagged: dict[str, list[str]] = {}
    repeat_fields: dict[str, frozenset[str]] = {}
    for section in spec.sections:
        for page in section.pages:
            pages.setdefault(page.id, page)
            section_of_page.setdefault(page.id, section)
            for question in page.questions:
                questions.setdefault(question.id, question)
                page_of_question.setdefault(question.id, page)
                for key in tag_keys(question):
                    tagged.setdefault(key, []).append(question.id)
                if question.type is QuestionType.REPEAT:
                    repeat_fields[question.id] = frozenset(f.id for f in question.fields)
    frozen_tagged = {key: tuple(ids) for key, ids in tagged.items()}

    # Edges: a node -> the nodes it needs first.
    needs: dict[int, list[Node]] = {}
    ordered_nodes: list[Node] = []
    for page in pages.values():
        ordered_nodes.append(page)
        needs[id(page)] = [
            questions[n] for n in _expression_dependencies(page.show_when, questions, frozen_tagged)
        ]
        for question in page.questions:
            if questions.get(question.id) is not question:
                continue
            deps: list[Node] = [page]
            deps += [
                questions[n] for n in _expression_dependencies(question.show_when, questions, frozen_tagged)
            ]
            if question.type is QuestionType.COMPUTED:
                deps += [
                    questions[n]
                    for n in _expression_dependencies(question.expression, questions, frozen_tagged)
                ]
            needs[id(question)] = deps
            ordered_nodes.append(question)

    order, cycles = _topological(ordered_nodes, needs)
    return FormIndex(
        questions=questions,
        page_of_question=page_of_question,
        section_of_page=section_of_page,
        pages=pages,
        rules_by_id={rule.id: rule for rule in spec.rules},
        tagged=frozen_tagged,
        repeat_fields=repeat_fields,
        evaluation_order=tuple(order),
        cycles=tuple(cycles),
    )


def _topological(
    nodes: list[Node], needs: Mapping[int, list[Node]]
) -> tuple[list[Node], list[tuple[Node, ...]]]:
    """Depth-first post-order from form order (so independent items keep reading order); circles reported
    once each as the path that closes them. Iterative: a long chain must not hit the recursion limit."""
    done: set[int] = set()
    on_path: dict[int, int] = {}  # node id -> position on the current path
    order: list[Node] = []
    cycles: list[tuple[Node, ...]] = []
    seen_cycles: set[frozenset[int]] = set()
    for start in nodes:
        if id(start) in done:
            continue
        path: list[Node] = [start]
        on_path[id(start)] = 0
        iterators = [iter(needs.get(id(start), ()))]
        while iterators:
            current = path[-1]
            step = next(iterators[-1], None)
            if step is None:
                iterators.pop()
                path.pop()
                del on_path[id(current)]
                done.add(id(current))
                order.append(current)
                continue
            if id(step) in done:
                continue
            if id(step) in on_path:
                circle = (*path[on_path[id(step)] :], step)
                key = frozenset(id(n) for n in circle)
                if key not in seen_cycles:
                    seen_cycles.add(key)
                    cycles.append(circle)
                continue
            on_path[id(step)] = len(path)
            path.append(step)
            iterators.append(iter(needs.get(id(step), ())))
    return order, cycles


def index_of(spec: FormSpec) -> FormIndex:
    """The spec's index, building (and attaching) it the first time for specs not made by the loader."""
    index = spec.index
    if index is None:
        index = build_index(spec)
        object.__setattr__(spec, "index", index)  # frozen dataclass: attach the derived cache once
    return index
