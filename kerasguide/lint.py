"""Hints for legal but wrong models: what Keras accepts and a student rarely means.

``lint`` reads a built Keras model (a spec is built first, and its hints name
the spec path) and returns :class:`Hints`: each :class:`Hint` has a stable
``code``, says where, what looks wrong, and what was probably meant. Hints
never block anything; ``build`` emits them as :class:`KerasGuideWarning`.

Codes::

    softmax-one-unit           softmax over one value always outputs 1.0
    missing-output-activation  no sigmoid/softmax where probabilities are expected
    relu-output                relu on an output expected to be a probability
    wrong-output-activation    another activation where probabilities are expected
    activation-with-logits     sigmoid/softmax on an output expected to be logits
    dense-without-flatten      Dense on a 3-D or larger input at the model's output
    return-sequences           return_sequences left on the last recurrent layer
    dropout-high               a dropout rate of 0.9 or more
    no-effect                  a layer that changes nothing (Activation linear, Dropout 0)

Silence hints by name: ``lint(..., ignore=[...])``, ``build(..., ignore_hints=[...])``
(``"all"`` for every hint), or for a whole course the environment variable
``KERASGUIDE_IGNORE_HINTS`` (names separated by commas or spaces, or ``all``).
"""

from __future__ import annotations

from collections.abc import Iterable

import kerasguide._keras as _k
from kerasguide._lint import CODES, ENV_VAR, Expect, Hint, Hints, lint_model
from kerasguide._types import KerasModel
from kerasguide.build import build
from kerasguide.specs import SpecSource, load_spec

__all__ = ["CODES", "ENV_VAR", "Hint", "Hints", "lint"]


def lint(
    spec_or_model: KerasModel | SpecSource,
    *,
    expect: Expect | None = None,
    ignore: str | Iterable[str] = (),
) -> Hints:
    """Hints about a model or spec that Keras accepts but that is probably not what was meant.

    Args:
        spec_or_model: A Keras model, a :class:`~kerasguide.Spec`, a dict spec, or a
            path to a spec file (or its text). A spec's hints name its spec paths.
        expect: What the outputs should be: ``"probabilities"`` (a classification head
            checked against labels with a sigmoid or softmax) or ``"logits"`` (a loss
            with ``from_logits=True``); a dict gives one per output layer name. By
            default, read from the loss of a compiled model, else not checked.
        ignore: Hint codes to leave out, e.g. ``["dropout-high"]``; ``"all"`` for every
            one. Codes in the environment variable ``KERASGUIDE_IGNORE_HINTS`` are
            always left out.

    Returns:
        The :class:`Hints`, empty (and falsy) when nothing looks wrong.

    Raises:
        OptionError: An unknown hint code or ``expect`` value.
        SpecError: The spec is not valid.

    Example:
        >>> hints = lint({"input_shape": [4], "layers": [{"Dense": 1, "activation": "softmax"}]})
        >>> [hint.code for hint in hints]
        ['softmax-one-unit']
    """
    if _k.is_model(spec_or_model):
        return lint_model(spec_or_model, expect=expect, ignore=ignore)

    spec = load_spec(spec_or_model)
    model = build(spec, ignore_hints="all")
    return lint_model(model, spec=spec.to_dict(), expect=expect, ignore=ignore)
