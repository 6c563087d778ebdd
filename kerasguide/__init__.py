"""kerasguide: declarative tf.keras models for course notebooks.

Describe a model in a short spec (YAML, JSON or a dict), get a real Keras
model with deterministic names; summarise it, explain its parameter counts,
check a student's model against a reference, and draw it with or without
Graphviz. Keras stays the source of truth for shapes and parameters.

``import kerasguide`` does not import TensorFlow; that happens on first use.

Example:
    >>> import kerasguide as kg
    >>> model = kg.mlp(inputs=10, hidden=[10, 20, 10], outputs=1,
    ...                activation="relu", output_activation="sigmoid")
    >>> model.count_params()
    551
"""

from kerasguide._version import __version__
from kerasguide.blocks import Block, BlockRun, Blocks, find_blocks
from kerasguide.build import build, functional, mlp, sequential
from kerasguide.checks import CheckResult, Finding, check_model, check_params, check_summary
from kerasguide.codegen import to_code
from kerasguide.convert import to_spec
from kerasguide.errors import (
    BuildError,
    CheckFailed,
    FileError,
    GraphvizUnavailable,
    KerasGuideError,
    KerasGuideWarning,
    LimitError,
    OptionError,
    SandboxUnavailable,
    SpecError,
    SpecSyntaxError,
    SpecTypeError,
    SummaryParseError,
)
from kerasguide.explain import Explanation, FoldedExplanation, explain
from kerasguide.grading import (
    Assignment,
    GradedSubmission,
    GradeReport,
    grade,
    load_assignment,
    merge_grades,
)
from kerasguide.history import plot_history
from kerasguide.limits import Limits, get_limits, set_limits
from kerasguide.lint import Hint, Hints, lint
from kerasguide.live import LivePlot
from kerasguide.parse import parse_summaries, parse_summary
from kerasguide.plot import plot_model
from kerasguide.specs import Spec, list_examples, load_example, load_spec, register_layer
from kerasguide.summary import FoldedSummary, Summary, summarize
from kerasguide.view import ModelView, view

__all__ = [
    "Assignment",
    "Block",
    "BlockRun",
    "Blocks",
    "BuildError",
    "CheckFailed",
    "CheckResult",
    "Explanation",
    "FileError",
    "Finding",
    "FoldedExplanation",
    "FoldedSummary",
    "GradeReport",
    "GradedSubmission",
    "GraphvizUnavailable",
    "Hint",
    "Hints",
    "KerasGuideError",
    "KerasGuideWarning",
    "LimitError",
    "Limits",
    "LivePlot",
    "ModelView",
    "OptionError",
    "SandboxUnavailable",
    "Spec",
    "SpecError",
    "SpecSyntaxError",
    "SpecTypeError",
    "Summary",
    "SummaryParseError",
    "__version__",
    "build",
    "check_model",
    "check_params",
    "check_summary",
    "explain",
    "find_blocks",
    "functional",
    "get_limits",
    "grade",
    "lint",
    "list_examples",
    "load_assignment",
    "load_example",
    "load_spec",
    "merge_grades",
    "mlp",
    "parse_summaries",
    "parse_summary",
    "plot_history",
    "plot_model",
    "register_layer",
    "sequential",
    "set_limits",
    "summarize",
    "to_code",
    "to_spec",
    "view",
]
