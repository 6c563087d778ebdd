"""Models as people write them come back from a spec exact, or are refused clearly.

Each model of ``tests/model_collection.py`` goes through ``to_spec → to_yaml →
load_spec → build``. Then either kerasguide raised a ``KerasGuideError`` naming the
layer and what it cannot keep, or the rebuilt model is the same model by our own
comparison (``tests/model_exactness.py``: classes, names, configs, weights, call
arguments, input and output structure, outputs) and ``check_model`` agrees.
``EXPECTED`` says which, per model: a model that turns from exact to refused fails,
and a model that comes back different always fails.

Run ``python -m tests.model_collection`` for the same as a table. ``make test`` runs a
representative few (``REPRESENTATIVE``); ``make conformance`` runs every model (the
tests marked ``sweep``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tests import model_exactness as exactness
from tests.model_collection import MODELS
from tests.model_exactness import OUTCOMES, Outcome, differences, round_trip

pytestmark = pytest.mark.slow  # see pyproject.toml: make unit leaves it to make test

EXACT = "exact"


def refused(layer: str, what: str) -> tuple[str, str, str]:
    """Refused, with a message that quotes ``layer`` and mentions ``what`` it cannot keep."""
    return ("refused", layer, what)


# What each model does today. Update it as specs learn more: an entry moves from
# refused(...) to EXACT. There is no entry for "different": that is always a bug.
EXPECTED: dict[str, Any] = {
    "mnist_convnet": EXACT,
    "fashion_mlp": EXACT,
    "regression_normalized": EXACT,
    "wide_and_deep": EXACT,
    "lenet5": EXACT,
    "cats_vs_dogs_convnet": EXACT,
    "augmented_convnet": EXACT,
    "mini_xception": EXACT,
    "toy_resnet": EXACT,
    "dcgan_generator": EXACT,
    "channels_first_convnet": EXACT,
    "float64_regression": EXACT,
    "dense_autoencoder": EXACT,
    "stacked_autoencoder": EXACT,
    "conv_autoencoder": EXACT,
    "vae_encoder": EXACT,
    "vae_encoder_sampling": refused("sampling", "register_layer"),
    "unet": EXACT,
    "oxford_pets_unet": EXACT,
    "siamese_contrastive": EXACT,
    "shared_text_encoder": EXACT,
    "ticket_multi_io": EXACT,
    "ticket_dict_io": EXACT,
    "structured_dict_inputs": EXACT,
    "dict_inputs_other_keys": refused("structured_data", "inputs"),
    "mc_dropout": EXACT,
    "batchnorm_inference": EXACT,
    "frozen_base_fine_tuning": EXACT,
    "mobilenetv2_transfer": EXACT,
    "masked_embedding_lstm": EXACT,
    "rnn_text_classifier": EXACT,
    "masking_lstm": EXACT,
    "bidirectional_lstm_imdb": EXACT,
    "gru_weather": EXACT,
    "deep_simple_rnn": EXACT,
    "char_lstm": EXACT,
    "stateful_char_rnn": EXACT,
    "conv_lstm": EXACT,
    "lstm_seq2seq": EXACT,
    "nmt_additive_attention": EXACT,
    "conv1d_text": EXACT,
    "conv1d_timeseries": EXACT,
    "text_embedding_bag": EXACT,
    "attention_layer": EXACT,
    "causal_attention_layer": EXACT,
    "softmax_with_mask": EXACT,
    "transformer_encoder_block": EXACT,
    "token_and_position_embedding": refused("ones_like", "operation"),
    "position_embedding_constant": refused("add", "constant"),
    "transformer_text_classifier": EXACT,
    "transformer_padding_mask": EXACT,
    "gpt_decoder_block": EXACT,
    "timeseries_transformer": EXACT,
}

# Bugs in kerasguide that make a model miss its entry above today: the outcome seen
# instead, and what goes wrong. While a model still shows that outcome its test is an
# xfail; any other miss fails, and so does a fixed one, until its entry is removed.
KNOWN_BUGS: dict[str, tuple[str, str]] = {}


def test_the_collection_is_large_and_the_table_complete() -> None:
    assert len(MODELS) >= 30
    assert sorted(EXPECTED) == sorted(MODELS)
    assert all(value == EXACT or value[0] == "refused" for value in EXPECTED.values())
    assert set(KNOWN_BUGS) <= set(EXPECTED)
    assert all(outcome in OUTCOMES for outcome, _ in KNOWN_BUGS.values())
    assert all(source.strip() for source, _ in MODELS.values())


# `make test` round-trips these, one or two of each kind (convolutions, several inputs and
# outputs, residuals, frozen and inference-mode layers, masks, recurrent states, attention)
# and every model that is refused; `make conformance` (tests marked `sweep`) all of them.
REPRESENTATIVE = (
    "mnist_convnet",
    "wide_and_deep",
    "toy_resnet",
    "vae_encoder_sampling",
    "ticket_dict_io",
    "dict_inputs_other_keys",
    "batchnorm_inference",
    "frozen_base_fine_tuning",
    "masked_embedding_lstm",
    "lstm_seq2seq",
    "transformer_text_classifier",
    "token_and_position_embedding",
    "position_embedding_constant",
)


def test_the_representative_few_are_in_the_collection_with_every_refusal() -> None:
    assert set(REPRESENTATIVE) <= set(MODELS)
    refusals = {name for name, value in EXPECTED.items() if value != EXACT}
    assert refusals <= set(REPRESENTATIVE)


# Keras 3.3's MultiHeadAttention warns that its projections drop the padding mask,
# which the attention itself applies (transformer_padding_mask); later versions do not.
@pytest.mark.filterwarnings(r"ignore:Layer '\w+' \(of type EinsumDense\) was passed an input")
@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=() if n in REPRESENTATIVE else pytest.mark.sweep) for n in MODELS],
)
def test_exact_or_refused(name: str, record_property: Any) -> None:
    result = round_trip(MODELS[name][1])
    record_property("outcome", result.outcome)
    problem = _miss(EXPECTED[name], result)
    if problem is None:
        assert name not in KNOWN_BUGS, f"{name} is fixed: remove it from KNOWN_BUGS"
    elif name in KNOWN_BUGS and result.outcome == KNOWN_BUGS[name][0]:
        pytest.xfail(KNOWN_BUGS[name][1])
    else:
        pytest.fail(f"{problem}\n{_report(name, result)}")


def _miss(expected: Any, result: Outcome) -> str | None:
    """How ``result`` misses ``expected``, or None when it meets it."""
    if expected == EXACT:
        return None if result.outcome == EXACT else f"expected exact, got {result.outcome}"
    if result.outcome != "refused":
        return f"expected refused, got {result.outcome}"
    _, layer, what = expected
    if f"'{layer}'" not in result.reason:
        return f"the message does not name the layer '{layer}'"
    if what not in result.reason.replace(f"'{result.model_name}'", ""):
        return f"the message does not say what cannot be kept ({what!r})"
    return None


def _report(name: str, result: Outcome) -> str:
    source = MODELS[name][0]
    return f"{name} ({source}): {result.outcome} at {result.stage}\n{result.reason}"


def test_mc_dropout_is_stochastic_at_inference_in_both_models() -> None:
    """Called as ``model(x)``, MC dropout draws anew each time, in both models alike.

    The comparison copies the seed states over, so equal outputs are not vacuous: the
    two calls differ, and the rebuilt model's calls equal the original's.
    """
    import kerasguide as kg

    original = MODELS["mc_dropout"][1]()
    rebuilt = kg.build(kg.load_spec(kg.to_spec(original).to_yaml()), ignore_hints="all")
    values, feed = exactness.snapshot_of(original), exactness.sample_inputs(original)
    for model in (original, rebuilt):
        first, second, _ = exactness.run_calls(model, values, feed)
        assert not np.allclose(first[0], second[0])
    assert differences(original, rebuilt) == []


# --- our own comparison sees what matters --------------------------------------------


def _mlp(keras: Any, **options: Any) -> Any:
    layers = keras.layers
    inputs = keras.Input((6,), name="x")
    x = layers.Dense(4, name="dense", **options.get("dense", {}))(inputs)
    x = layers.BatchNormalization(name="bn", **options.get("bn", {}))(
        x, **options.get("bn_call", {})
    )
    x = layers.Dropout(0.5, name="drop")(x, **options.get("drop_call", {}))
    return keras.Model(inputs, layers.Dense(1, name="out")(x), name="mlp")


_MUTATIONS = {
    "a config value": {"bn": {"momentum": 0.9}},
    "an initializer": {"dense": {"kernel_initializer": "zeros"}},
    "training=True": {"drop_call": {"training": True}},
    "training=False": {"bn_call": {"training": False}},
    "a dtype": {"dense": {"dtype": "float64"}},
}


@pytest.mark.parametrize("mutation", list(_MUTATIONS))
def test_our_comparison_sees_a_change(mutation: str) -> None:
    import kerasguide._keras as _k

    keras = _k.keras()
    original = _mlp(keras)
    assert differences(original, _mlp(keras)) == []
    assert differences(original, _mlp(keras, **_MUTATIONS[mutation]))


def test_our_comparison_sees_a_dict_become_a_list() -> None:
    import kerasguide._keras as _k

    keras = _k.keras()
    a, b = keras.Input((2,), name="a"), keras.Input((3,), name="b")
    out = keras.layers.Dense(1, name="out")(keras.layers.concatenate([a, b], name="ab"))
    as_dict = keras.Model({"a": a, "b": b}, out, name="m")
    as_list = keras.Model([a, b], out, name="m")
    assert differences(as_dict, as_list)
    assert differences(as_dict, as_dict) == []


def test_our_comparison_sees_a_dropped_causal_mask_and_another_data_format() -> None:
    import kerasguide._keras as _k

    keras = _k.keras()

    def attention(**flags: Any) -> Any:
        q = keras.Input((4, 3), name="q")
        out = keras.layers.Attention(name="attention")([q, q], **flags)
        return keras.Model(q, out, name="m")

    def convnet() -> Any:
        x = keras.Input((3, 6, 6), name="x")
        out = keras.layers.Conv2D(2, 3, name="conv")(x)
        return keras.Model(x, out, name="m")

    assert differences(attention(use_causal_mask=True), attention())
    saved = keras.config.image_data_format()
    keras.config.set_image_data_format("channels_first")
    try:
        first = convnet()
    finally:
        keras.config.set_image_data_format(saved)
    assert differences(first, convnet())
