"""Form-definition commands: `check-forms`, `forms list`, `forms show`, `check-answers`.

They only read files (forms/*.yaml and an answers JSON file): no database is opened, but each parser
takes `--db` like every sub-command so scripts can pass it uniformly.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsvdesk.errors import BadInput, EnvironmentProblem, ExitCode, NotFound

if TYPE_CHECKING:
    from dsvdesk.engine.errors import FormProblem
    from dsvdesk.engine.spec import FormSpec

MAX_ANSWERS_BYTES = 50 * 1024 * 1024


def register(subparsers: Any) -> None:
    from dsvdesk.cli import add_db_option

    check = subparsers.add_parser(
        "check-forms",
        help="check form definitions; one line per problem (exit 4 if any)",
        description="Load each form definition and print every problem as file:line: question: rule -> fix. "
        "With no PATH, checks the forms folder.",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH", help="YAML files or folders of them")
    add_db_option(check)
    check.set_defaults(handler=run_check_forms)

    forms = subparsers.add_parser("forms", help="list the installed forms, or show one compiled definition")
    forms_sub = forms.add_subparsers(dest="forms_command", metavar="ACTION", required=True)
    listing = forms_sub.add_parser("list", help="id, version, title and content hash of each form")
    _forms_dir_option(listing)
    add_db_option(listing)
    listing.set_defaults(handler=run_forms_list)
    show = forms_sub.add_parser(
        "show", help="the compiled definition of one form (ids, types, labels, conditions)"
    )
    show.add_argument("form_id", metavar="ID", help="form id (e.g. 124d) or the path of a YAML file")
    show.add_argument("--json", action="store_true", help="machine-readable JSON")
    _forms_dir_option(show)
    add_db_option(show)
    show.set_defaults(handler=run_forms_show)
    add_db_option(forms)

    diff = forms_sub.add_parser(
        "diff",
        help="what moving records from one version of a form to another does to their answers",
        description="OLD and NEW are form files (or a form id in the forms folder). Lists the questions "
        "whose answers would be dropped (question removed, choice removed, type changed) and the new "
        "questions, the same report `dsvdesk records upgrade` prints for one record.",
    )
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--json", action="store_true", help="machine-readable JSON")
    _forms_dir_option(diff)
    add_db_option(diff)
    diff.set_defaults(handler=run_forms_diff)

    answers = subparsers.add_parser(
        "check-answers",
        help="evaluate an answers JSON file against a form; prints findings (exit 7, not ready, if any error)",
        description="Answers are a JSON object keyed by question id (repeats: lists of objects).",
    )
    answers.add_argument("file", type=Path, metavar="FILE.json")
    answers.add_argument("--form", required=True, metavar="ID", help="form id, or the path of a YAML file")
    answers.add_argument("--reviewer", action="store_true", help="also check the supervisor-only sections")
    answers.add_argument("--json", action="store_true", help="machine-readable JSON")
    _forms_dir_option(answers)
    add_db_option(answers)
    answers.set_defaults(handler=run_check_answers)


def _forms_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--forms-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help="folder of form definitions (default: forms/)",
    )


def _forms_dir(args: argparse.Namespace) -> Path:
    from dsvdesk import paths

    chosen = getattr(args, "forms_dir", None)
    return Path(chosen) if chosen else paths.forms_dir()


def _definition_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.suffix.lower() in {".yaml", ".yml"} and not p.name.startswith(".")
    )


# ------------------------------------------------------------------------------------------ check-forms
def run_check_forms(args: argparse.Namespace) -> int:
    from dsvdesk.engine.errors import FormDefinitionErrors
    from dsvdesk.engine.loader import load_form, load_forms_dir

    targets: list[Path] = list(args.paths) or [_forms_dir(args)]
    problems: list[FormProblem] = []
    loaded = 0
    for target in targets:
        try:
            if target.is_dir():
                loaded += len(load_forms_dir(target))
            else:
                load_form(target)
                loaded += 1
        except FormDefinitionErrors as exc:
            problems.extend(exc.problems)
    for problem in problems:
        print(problem)
    if problems:
        files = len({p.file for p in problems})
        print(f"{len(problems)} problem(s) in {files} file(s); {loaded} form(s) OK.")
        return ExitCode.BAD_INPUT
    print(f"{loaded} form(s) OK")
    return 0


# ------------------------------------------------------------------------------------------ forms list/show
def _available_forms(folder: Path) -> tuple[dict[str, FormSpec], list[FormProblem]]:
    """Every valid form in `folder` (broken files are skipped, their problems returned)."""
    from dsvdesk.engine.errors import FormDefinitionErrors
    from dsvdesk.engine.loader import load_form

    if not folder.is_dir():
        raise NotFound(f"The forms folder {folder} does not exist.")
    specs: dict[str, FormSpec] = {}
    problems: list[FormProblem] = []
    for file in _definition_files(folder):
        try:
            spec = load_form(file)
        except FormDefinitionErrors as exc:
            problems.extend(exc.problems)
            continue
        specs.setdefault(spec.id, spec)
    return specs, problems


def _find_form(form: str, args: argparse.Namespace) -> FormSpec:
    from dsvdesk.engine.errors import FormDefinitionErrors
    from dsvdesk.engine.loader import load_form

    candidate = Path(form)
    if candidate.suffix.lower() in {".yaml", ".yml"} or candidate.is_file():
        try:
            return load_form(candidate)
        except FormDefinitionErrors as exc:
            raise BadInput(
                f"The form definition {form} has {len(exc.problems)} problem(s):\n{exc}\n"
                f"Run 'dsvdesk check-forms {form}' after fixing them."
            ) from None
    folder = _forms_dir(args)
    specs, problems = _available_forms(folder)
    if form in specs:
        return specs[form]
    known = ", ".join(sorted(specs)) or "none"
    broken = (
        f" {len({p.file for p in problems})} file(s) there have problems: run 'dsvdesk check-forms'."
        if problems
        else ""
    )
    raise NotFound(f"There is no form '{form}' in {folder} (forms found: {known}).{broken}")


def run_forms_list(args: argparse.Namespace) -> int:
    import sys

    folder = _forms_dir(args)
    specs, problems = _available_forms(folder)
    if not specs and not problems:
        print(f"No form definitions in {folder}.")
        return 0
    for spec in sorted(specs.values(), key=lambda s: s.id):
        questions = sum(1 for _ in spec.iter_questions())
        print(f"{spec.id}\t{spec.version}\t{spec.title}\t{questions} questions\t{spec.content_hash[:12]}")
    if problems:
        files = sorted({p.file for p in problems})
        print(f"Not listed (run 'dsvdesk check-forms'): {', '.join(files)}", file=sys.stderr)
        return ExitCode.BAD_INPUT
    return 0


def run_forms_show(args: argparse.Namespace) -> int:
    from dsvdesk.engine.describe import spec_to_dict

    spec = _find_form(args.form_id, args)
    if args.json:
        print(json.dumps(spec_to_dict(spec), ensure_ascii=False, indent=2, default=str))
        return 0
    print(f"{spec.id} {spec.version}: {spec.title}")
    print(f"marking: {spec.marking}   hash: {spec.content_hash}")
    if spec.constants:
        print("constants: " + ", ".join(f"{k}={v!r}" for k, v in spec.constants.items()))
    for section in spec.sections:
        audience = "" if section.audience.value == "author" else f" [{section.audience.value} only]"
        print(f"\n== {section.id}: {section.title}{audience}")
        for page in section.pages:
            condition = f"   (shown when {page.show_when.source})" if page.show_when else ""
            print(f"  -- page {page.id}: {page.title}{condition}")
            for question in page.questions:
                _print_question(question, "    ")
    if spec.rules:
        print("\n== rules")
        for rule in spec.rules:
            scope = f" (each question tagged {rule.each_tag})" if rule.each_tag else ""
            print(f"  {rule.id} [{rule.severity.value}]{scope}: when {rule.when.source}")
            print(f"      {rule.message}")
    return 0


def _print_question(question: Any, indent: str) -> None:
    flags = []
    if question.required:
        flags.append("required")
    if question.required_when is not None:
        flags.append(f"required when {question.required_when.source}")
    if question.show_when is not None:
        flags.append(f"shown when {question.show_when.source}")
    if question.expression is not None:
        flags.append(f"= {question.expression.source}")
    number = f"{question.number}. " if question.number else ""
    extra = f"  [{'; '.join(flags)}]" if flags else ""
    print(f"{indent}{question.id} ({question.type.value}): {number}{question.label}{extra}")
    if question.choices:
        print(f"{indent}    choices: " + ", ".join(c.value for c in question.choices))
    for field in question.fields:
        _print_question(field, indent + "    ")


def run_forms_diff(args: argparse.Namespace) -> int:
    from dsvdesk.engine.upgrade import UpgradeNotPossible, diff_forms, report_lines

    old, new = _find_form(args.old, args), _find_form(args.new, args)
    try:
        diff = diff_forms(old, new)
    except UpgradeNotPossible as exc:
        raise BadInput(str(exc)) from None
    if args.json:
        report = {
            "form": diff.form_id,
            "from_version": diff.old_version,
            "to_version": diff.new_version,
            "from_hash": diff.old_hash,
            "to_hash": diff.new_hash,
            "unchanged": list(diff.unchanged),
            "changes": [
                {"id": c.question_id, "reason": c.reason.value, "detail": c.detail} for c in diff.changes
            ],
            "added": list(diff.added),
            "added_required": list(diff.added_required),
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print("\n".join(report_lines(diff, new)))
    return 0


# ------------------------------------------------------------------------------------------ check-answers
def _read_answers(path: Path) -> dict[str, Any]:
    try:
        if path.is_dir():
            raise BadInput(f"{path} is a folder, not an answers file.")
        if path.stat().st_size > MAX_ANSWERS_BYTES:
            raise BadInput(
                f"{path} is larger than {MAX_ANSWERS_BYTES // (1024 * 1024)} MB; is it the right file?"
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise NotFound(f"There is no file {path}.") from None
    except PermissionError:
        raise EnvironmentProblem(f"You may not read {path}.") from None
    except OSError as exc:
        raise EnvironmentProblem(f"Cannot read {path}: {exc.strerror or exc}.") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput(f"{path} is not UTF-8 text; save it as UTF-8 JSON.") from None
    try:
        answers = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    except RecursionError:
        raise BadInput(f"{path} is nested too deeply to be answers.") from None
    if not isinstance(answers, dict):
        raise BadInput(
            f"{path} must hold a JSON object keyed by question id, not a {type(answers).__name__}."
        )
    return answers


def run_check_answers(args: argparse.Namespace) -> int:
    from dsvdesk.engine.completeness import evaluate
    from dsvdesk.engine.spec import Audience, Severity

    answers = _read_answers(args.file)
    spec = _find_form(args.form, args)
    audiences = (Audience.AUTHOR, Audience.REVIEWER) if args.reviewer else (Audience.AUTHOR,)
    evaluation = evaluate(spec, answers, audiences=audiences)
    known = set(spec.index.questions) if spec.index else set()
    known |= {q.comment_id for _s, _p, q in spec.iter_questions() if q.comment}
    unknown = sorted(key for key in answers if key not in known)
    if args.json:
        report = {
            "form": spec.id,
            "content_hash": spec.content_hash,
            "percent": evaluation.percent,
            "can_submit": evaluation.can_submit,
            "values": evaluation.values,
            "flags": list(evaluation.flags),
            "unknown_keys": unknown,
            "findings": [
                {
                    "question_id": f.question_id,
                    "page_id": f.page_id,
                    "severity": f.severity.value,
                    "code": f.code.value,
                    "message": f.message,
                    "rule_id": f.rule_id,
                    "item_index": f.item_index,
                    "field_id": f.field_id,
                }
                for f in evaluation.findings
            ],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        for finding in evaluation.findings:
            where = finding.page_id or "form"
            question = f" {finding.question_id}" if finding.question_id else ""
            item = f"[{finding.item_index + 1}]" if finding.item_index is not None else ""
            print(f"{finding.severity.value}: {where}/{question.strip()}{item}: {finding.message}")
        for key in unknown:
            print(f"note: '{key}' is not a question of form {spec.id}; it is ignored.")
        errors = sum(1 for f in evaluation.findings if f.severity is Severity.ERROR)
        warnings = len(evaluation.findings) - errors
        print(f"{evaluation.percent}% complete; {errors} error(s), {warnings} warning(s).")
    return ExitCode.OK if evaluation.can_submit else ExitCode.NOT_READY
