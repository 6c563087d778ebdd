"""The ``call:`` of a functional spec's entry: how a layer is called, beyond its inputs.

``call: {training: false}`` sets a flag of the call (a frozen base model, Monte
Carlo dropout, a causal mask); any other key gives tensors by name, as ``inputs:``
does: ``call: {value: context}`` for MultiHeadAttention, ``call: {mask: padding}``,
``call: {initial_state: [encoder[1], encoder[2]]}`` for a decoder LSTM.
"""

from __future__ import annotations

import inspect
from typing import Any

from kerasguide._suggest import did_you_mean
from kerasguide._values import at, flag, show
from kerasguide._wiring import refs
from kerasguide.errors import SpecError, SpecTypeError

# The true/false options of a layer's call that a spec can give, as ``call: {training: true}``.
# Any other key of ``call:`` passes tensors: ``call: {initial_state: [enc[1], enc[2]]}``.
CALL_OPTIONS = ("training", "use_causal_mask", "return_attention_scores")


def call_options(raw: object, where: str) -> dict[str, Any]:
    """``call:``: the flags and the extra tensors a functional spec passes to a layer's call.

    A flag is true or false; any other argument names tensors, as ``inputs:`` does
    (MultiHeadAttention's ``value``, a ``mask``, an RNN's ``initial_state``).

    Example:
        >>> call_options({"training": True, "initial_state": ["h", "c"]}, "layers[1].call")
        {'training': True, 'initial_state': ['h', 'c']}
    """
    if not isinstance(raw, dict):
        raise SpecTypeError(
            "`call` must be a mapping of call options",
            where=where,
            expected="e.g. `call: {training: true}` (Monte Carlo dropout) or "
            "`call: {value: encoded}` (a tensor given by name)",
            received=show(raw),
        )
    result: dict[str, Any] = {}
    for key, value in raw.items():
        if key in CALL_OPTIONS:
            result[key] = flag(value, at(where, key), f"`{key}`")
        elif isinstance(value, bool) or not isinstance(value, (str, list)):
            raise SpecError(
                f"`call.{key}` is neither a call flag nor tensors given by name",
                where=at(where, str(key)),
                expected="true or false for " + ", ".join(CALL_OPTIONS) + "; the name of a "
                "layer or input (or a list of them) for a tensor argument",
                received=f"{key}: {show(value)}",
                hint=did_you_mean(str(key), CALL_OPTIONS)
                or "name the layer whose output the call takes, e.g. `mask: padding`",
            )
        else:
            result[str(key)] = refs(value, at(where, str(key)))
    return result


def checked_call(layer: Any, options: dict[str, Any], where: str) -> dict[str, Any]:
    """``options`` when each one is an argument of ``layer.call``, else a SpecError.

    Keras would silently ignore ``training`` on a layer whose call has none, and fail
    with a TypeError on any other option.
    """
    if not options:
        return options
    accepted = inspect.signature(layer.call).parameters
    first = next(iter(accepted), None)  # the inputs: `inputs:` gives them
    for key in options:
        if key not in accepted or key == first:
            kind = type(layer).__name__
            takes = [option for option in accepted if option != first]
            raise SpecError(
                f"{kind} {layer.name!r} has no call option {key!r}",
                where=at(where, f"call.{key}"),
                expected=f"options of {kind}'s call: " + (", ".join(takes) or "none"),
                received=f"{key}: {show(options[key])}",
                hint="give the layer's inputs with `inputs:`"
                if key == first
                else did_you_mean(key, takes)
                or f"remove `{key}` from `call`; it changes nothing for a {kind}",
            )
    return options


def arranged(call: Any, given: dict[str, Any]) -> tuple[list[str], list[str]]:
    """The keys of ``given`` a layer's ``call`` takes by position, and those by name.

    As a layer is usually called: the tensors right after the inputs by position, as
    far as the call's parameters run in order (``mha(query, value, key)``); the rest,
    and every flag, by name (``lstm(x, initial_state=s)``, ``training=False``). Keras
    meets a call's tensors in that order (keyword ones sorted by name), which sets the
    order of a summary's rows, so build and to_code call layers alike.
    """
    parameters = [key for key in inspect.signature(call).parameters if key != "self"]
    positional: list[str] = []
    for key in parameters[1:]:
        if key not in given or key in CALL_OPTIONS:
            break
        positional.append(key)
    return positional, [key for key in given if key not in positional]
