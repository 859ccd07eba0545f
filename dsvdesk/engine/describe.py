"""The compiled definition as plain JSON-ready data (`dsvdesk forms show ID --json`), so other tools can
fill a form without reading YAML. Conditions are given as their expression source text."""

from __future__ import annotations

from typing import Any

from dsvdesk.engine.spec import Choice, Constraint, FormSpec, Page, Question, Rule, Section, Tag

FORMAT_VERSION = 1


def _choices(choices: tuple[Choice, ...]) -> list[dict[str, str]]:
    return [{"value": c.value, "label": c.label, **({"help": c.help} if c.help else {})} for c in choices]


def _tags(tags: tuple[Tag, ...]) -> list[str | dict[str, str]]:
    return [{t.name: t.value} if t.value else t.name for t in tags]


def _constraint(constraint: Constraint) -> dict[str, Any]:
    data: dict[str, Any] = {"kind": constraint.kind, "message": constraint.message}
    if constraint.pattern is not None:
        data["pattern"] = constraint.pattern
    if constraint.minimum is not None:
        data["min"] = constraint.minimum
    if constraint.maximum is not None:
        data["max"] = constraint.maximum
    if constraint.expression is not None:
        data["expression"] = constraint.expression.source
    return data


def question_to_dict(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {"id": question.id, "type": question.type.value, "label": question.label}
    optional: dict[str, Any] = {
        "number": question.number,
        "help": question.help,
        "required": question.required,
        "required_when": question.required_when.source if question.required_when else None,
        "show_when": question.show_when.source if question.show_when else None,
        "constraints": [_constraint(c) for c in question.constraints],
        "tags": _tags(question.tags),
        "choices": _choices(question.choices),
        "pattern": question.pattern,
        "example": question.example,
        "fields": [question_to_dict(f) for f in question.fields],
        "item_label": question.item_label,
        "rows": _choices(question.rows),
        "columns": _choices(question.columns),
        "expression": question.expression.source if question.expression else None,
        "comment": question.comment,
        "read_only": question.read_only,
        "formerly": list(question.formerly),
    }
    data.update({key: value for key, value in optional.items() if value not in (None, "", [], False)})
    if question.type.value == "repeat":
        data["min_items"] = question.min_items
        data["max_items"] = question.max_items
    if question.comment:
        data["comment_id"] = question.comment_id
        data["comment_label"] = question.comment_label
    if question.location is not None:
        data["line"] = question.location.line
    return data


def _page(page: Page) -> dict[str, Any]:
    data: dict[str, Any] = {"id": page.id, "title": page.title}
    if page.help:
        data["help"] = page.help
    if page.show_when is not None:
        data["show_when"] = page.show_when.source
    data["questions"] = [question_to_dict(q) for q in page.questions]
    return data


def _section(section: Section) -> dict[str, Any]:
    data: dict[str, Any] = {"id": section.id, "title": section.title, "audience": section.audience.value}
    if section.number:
        data["number"] = section.number
    data["pages"] = [_page(p) for p in section.pages]
    return data


def _rule(rule: Rule) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rule.id,
        "when": rule.when.source,
        "severity": rule.severity.value,
        "message": rule.message,
    }
    if rule.targets:
        data["targets"] = list(rule.targets)
    if rule.each_tag:
        data["each_tag"] = rule.each_tag
    if rule.tags:
        data["tags"] = _tags(rule.tags)
    return data


def spec_to_dict(spec: FormSpec) -> dict[str, Any]:
    return {
        "format": FORMAT_VERSION,
        "id": spec.id,
        "version": spec.version,
        "title": spec.title,
        "marking": spec.marking,
        "description": spec.description,
        "content_hash": spec.content_hash,
        "source": spec.source_path,
        "constants": dict(spec.constants),
        "columns": dict(spec.columns),
        "options": dict(spec.options),
        "sections": [_section(s) for s in spec.sections],
        "rules": [_rule(r) for r in spec.rules],
        "summary": [{"label": item.label, "expression": item.expression.source} for item in spec.summary],
    }
