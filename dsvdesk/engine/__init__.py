"""The form engine: form definitions (forms/*.yaml) compiled into frozen specs, and the evaluation of
answers against them. Qt-free and SQL-free; see docs/forms.md and docs/architecture.md."""

from dsvdesk.engine.answers import constraint_failure, validate_value
from dsvdesk.engine.completeness import Evaluation, Finding, FindingCode, PageState, evaluate, visible_answers
from dsvdesk.engine.errors import ErrorCode, FormDefinitionErrors, FormProblem
from dsvdesk.engine.expressions import Expression, ExpressionError
from dsvdesk.engine.loader import compile_cached, load_form, load_form_text, load_forms_dir

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
