"""The form engine: form definitions (forms/*.yaml) compiled into frozen specs, and the evaluation of
answers against them. Qt-free and SQL-free; see docs/forms.md and docs/architecture.md.

The names below are loaded on first use (PEP 562 ``__getattr__``), not when the package is imported:
``import dsvdesk.engine.spec`` runs this file first, and pulling in the loader (PyYAML) and the
evaluator there would put them on the app's cold start before the sign-in window. Type checkers see
ordinary imports through the ``TYPE_CHECKING`` block.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dsvdesk.engine.answers import constraint_failure, validate_value
    from dsvdesk.engine.completeness import (
        Evaluation,
        Finding,
        FindingCode,
        PageState,
        evaluate,
        visible_answers,
    )
    from dsvdesk.engine.errors import ErrorCode, FormDefinitionErrors, FormProblem
    from dsvdesk.engine.expressions import Expression, ExpressionError
    from dsvdesk.engine.loader import compile_cached, load_form, load_form_text, load_forms_dir

# public name -> the submodule that defines it
_EXPORTS: dict[str, str] = {
    "constraint_failure": "answers",
    "validate_value": "answers",
    "Evaluation": "completeness",
    "Finding": "completeness",
    "FindingCode": "completeness",
    "PageState": "completeness",
    "evaluate": "completeness",
    "visible_answers": "completeness",
    "ErrorCode": "errors",
    "FormDefinitionErrors": "errors",
    "FormProblem": "errors",
    "Expression": "expressions",
    "ExpressionError": "expressions",
    "compile_cached": "loader",
    "load_form": "loader",
    "load_form_text": "loader",
    "load_forms_dir": "loader",
}

__all__ = [
    "ErrorCode",
    "Evaluation",
    "Expression",
    "ExpressionError",
    "Finding",
    "FindingCode",
    "FormDefinitionErrors",
    "FormProblem",
    "PageState",
    "compile_cached",
    "constraint_failure",
    "evaluate",
    "load_form",
    "load_form_text",
    "load_forms_dir",
    "validate_value",
    "visible_answers",
]


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module_name}"), name)
    globals()[name] = value  # later look-ups are plain attribute reads
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
