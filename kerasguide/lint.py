"""Hints for legal but wrong models: what Keras accepts and a student rarely means.

``lint`` reads a built Keras model (a spec is built first, and its hints name
the spec path) and returns :class:`Hints`: each :class:`Hint` has a stable
``code``, says where, what looks wrong, and what was probably meant. Hints
never block anything; ``build`` emits them as :class:`KerasGuideWarning`.

Codes (``kerasguide.lint.CODES`` lists each with a line of explanation)::

    output layers and losses   softmax-one-unit, missing-output-activation, relu-output,
                               wrong-output-activation, activation-with-logits,
                               sigmoid-with-categorical-loss, softmax-with-binary-loss,
                               one-unit-classifier, softmax-regression,
                               accuracy-on-regression, normalization-after-output,
                               dropout-after-output, dense-without-flatten, return-sequences
    input shapes               batch-in-input-shape, channels-first,
                               integer-input-without-embedding, recurrent-one-step
    convolutions and pooling   kernel-larger-than-input, stride-skips-input
    regularisation             dropout-high, batchnorm-axis, batchnorm-momentum,
                               regularizer-high
    layers                     no-effect, double-activation, linear-stack, embedding-swapped
    the data given to fit      input-data-shape, inputs-not-scaled, embedding-vocabulary,
                               sparse-labels-categorical-loss, one-hot-labels-sparse-loss,
                               labels-out-of-range, regression-loss-on-labels, output-range
    training (LivePlot)        loss-nan, loss-constant, accuracy-at-chance

What an output is trained for comes from the model's compiled loss and metrics, else a
spec's ``loss:`` or ``task:`` (``classification``, ``binary`` or ``regression``), else
``lint(task=...)`` or ``lint(expect=...)``.

Silence hints by name: ``lint(..., ignore=[...])``, ``build(..., ignore_hints=[...])``
(``"all"`` for every hint), or for a whole course the environment variable
``KERASGUIDE_IGNORE_HINTS`` (names separated by commas or spaces, or ``all``).
"""

from __future__ import annotations

from collections.abc import Iterable

import kerasguide._keras as _k
from kerasguide._lint import CODES, ENV_VAR, TASKS, Expect, Hint, Hints, lint_model
from kerasguide._types import KerasModel
from kerasguide.build import build
from kerasguide.specs import SpecSource, load_spec

__all__ = ["CODES", "ENV_VAR", "TASKS", "Hint", "Hints", "lint"]


def lint(
    spec_or_model: KerasModel | SpecSource,
    *,
    task: str | None = None,
    x: object = None,
    y: object = None,
    expect: Expect | None = None,
    ignore: str | Iterable[str] = (),
) -> Hints:
    """Hints about a model or spec that Keras accepts but that is probably not what was meant.

    Args:
        spec_or_model: A Keras model (compiled or not), a :class:`~kerasguide.Spec`, a
            dict spec, or a path to a spec file (or its text). A spec's hints name its
            spec paths.
        task: What the model is trained for when no loss says it: ``"classification"``
            (one class per example), ``"binary"`` (yes/no, one or more labels) or
            ``"regression"``. A compiled model's loss, or a spec's ``loss:``/``task:``,
            says it too.
        x: The inputs as given to ``fit`` (an array, a list or a dict of arrays), checked
            against the model's input shapes and scale.
        y: The labels as given to ``fit``, checked against the loss and the output layers.
        expect: What the outputs should be: ``"probabilities"`` or ``"logits"``; a dict
            gives one per output layer name. By default, read from the loss.
        ignore: Hint codes to leave out, e.g. ``["dropout-high"]``; ``"all"`` for every
            one. Codes in the environment variable ``KERASGUIDE_IGNORE_HINTS`` are
            always left out.

    Returns:
        The :class:`Hints`, empty (and falsy) when nothing looks wrong.

    Raises:
        OptionError: An unknown hint code, ``task`` or ``expect`` value.
        SpecError: The spec is not valid.

    Example:
        >>> hints = lint({"input_shape": [4], "layers": [{"Dense": 1, "activation": "softmax"}]})
        >>> [hint.code for hint in hints]
        ['softmax-one-unit']
        >>> spec = {"input_shape": [4], "task": "regression",
        ...         "layers": [{"Dense": 3, "activation": "softmax"}]}
        >>> [hint.code for hint in lint(spec)]
        ['softmax-regression']
    """
    if _k.is_model(spec_or_model):
        model, data = spec_or_model, None
    else:
        spec = load_spec(spec_or_model)
        model, data = build(spec, ignore_hints="all"), spec.to_dict()
    return lint_model(model, spec=data, expect=expect, ignore=ignore, task=task, data=(x, y))
