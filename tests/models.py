"""The shared zoo of test models, each written by hand in plain Keras.

These are the references: kerasguide's specs, summaries, checks and diagrams
are compared against them. Every builder returns a fresh model with fixed
layer names, so tests do not depend on Keras's global name counters.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import kerasguide._keras as _k


def seed_sequential() -> Any:
    """The seed's ``Sequential([Dense(2, input_dim=1), Dense(1)])``: 7 params."""
    keras = _k.keras()
    return keras.Sequential(
        [
            keras.Input((1,), name="input"),
            keras.layers.Dense(2, name="dense_1"),
            keras.layers.Dense(1, name="dense_2"),
        ],
        name="seed_sequential",
    )


def seed_functional() -> Any:
    """The seed's ``Input(shape=(2,))`` → ``Dense(2)``: 6 params."""
    keras = _k.keras()
    visible = keras.Input((2,), name="visible")
    hidden = keras.layers.Dense(2, name="hidden")(visible)
    return keras.Model(visible, hidden, name="seed_functional")


def seed_mlp() -> Any:
    """The seed's MLP 10→10→20→10→1: 551 params (110/220/210/11)."""
    keras = _k.keras()
    visible = keras.Input((10,), name="input")
    x = keras.layers.Dense(10, activation="relu", name="hidden_1")(visible)
    x = keras.layers.Dense(20, activation="relu", name="hidden_2")(x)
    x = keras.layers.Dense(10, activation="relu", name="hidden_3")(x)
    out = keras.layers.Dense(1, activation="sigmoid", name="output")(x)
    return keras.Model(visible, out, name="mlp")


def multi_input() -> Any:
    """Two inputs, concatenated: an image vector and metadata."""
    keras = _k.keras()
    image = keras.Input((32,), name="image")
    meta = keras.Input((4,), name="meta")
    a = keras.layers.Dense(16, activation="relu", name="image_features")(image)
    b = keras.layers.Dense(4, activation="relu", name="meta_features")(meta)
    merged = keras.layers.Concatenate(name="merged")([a, b])
    out = keras.layers.Dense(1, activation="sigmoid", name="score")(merged)
    return keras.Model([image, meta], out, name="multi_input")


def multi_output() -> Any:
    """One input, two heads: a class and a value."""
    keras = _k.keras()
    inputs = keras.Input((8,), name="features")
    trunk = keras.layers.Dense(16, activation="relu", name="trunk")(inputs)
    label = keras.layers.Dense(3, activation="softmax", name="label")(trunk)
    value = keras.layers.Dense(1, name="value")(trunk)
    return keras.Model(inputs, [label, value], name="multi_output")


def shared_layer() -> Any:
    """One Dense layer applied to two inputs with the same weights (a siamese pair)."""
    keras = _k.keras()
    left = keras.Input((6,), name="left")
    right = keras.Input((6,), name="right")
    encoder = keras.layers.Dense(4, activation="tanh", name="encoder")
    diff = keras.layers.Subtract(name="difference")([encoder(left), encoder(right)])
    out = keras.layers.Dense(1, activation="sigmoid", name="same")(diff)
    return keras.Model([left, right], out, name="siamese")


def nested() -> Any:
    """A functional model used as a layer inside another model."""
    keras = _k.keras()
    inner_in = keras.Input((5,), name="inner_input")
    inner_out = keras.layers.Dense(3, activation="relu", name="inner_dense")(inner_in)
    encoder = keras.Model(inner_in, inner_out, name="encoder")
    outer_in = keras.Input((5,), name="outer_input")
    x = encoder(outer_in)
    out = keras.layers.Dense(2, name="head")(x)
    return keras.Model(outer_in, out, name="nested")


def cnn() -> Any:
    """A small convolutional network for 8×8 grey images (scikit-learn's digits)."""
    keras = _k.keras()
    return keras.Sequential(
        [
            keras.Input((8, 8, 1), name="image"),
            keras.layers.Conv2D(8, 3, activation="relu", name="conv2d_1"),
            keras.layers.MaxPooling2D(2, name="max_pooling2d_1"),
            keras.layers.Flatten(name="flatten_1"),
            keras.layers.Dense(10, activation="softmax", name="dense_1"),
        ],
        name="cnn",
    )


def rnn() -> Any:
    """An LSTM over sequences of 5 steps with 1 feature: 480 + 11 params."""
    keras = _k.keras()
    return keras.Sequential(
        [
            keras.Input((5, 1), name="sequence"),
            keras.layers.LSTM(10, name="lstm_1"),
            keras.layers.Dense(1, name="dense_1"),
        ],
        name="rnn",
    )


def batchnorm() -> Any:
    """Dense with BatchNormalization and Dropout: has non-trainable parameters."""
    keras = _k.keras()
    return keras.Sequential(
        [
            keras.Input((4,), name="input"),
            keras.layers.Dense(8, name="dense_1"),
            keras.layers.BatchNormalization(name="batch_normalization_1"),
            keras.layers.Dropout(0.5, name="dropout_1"),
            keras.layers.Dense(1, name="dense_2"),
        ],
        name="batchnorm",
    )


ZOO: dict[str, Callable[[], Any]] = {
    "seed_sequential": seed_sequential,
    "seed_functional": seed_functional,
    "seed_mlp": seed_mlp,
    "multi_input": multi_input,
    "multi_output": multi_output,
    "shared_layer": shared_layer,
    "nested": nested,
    "cnn": cnn,
    "rnn": rnn,
    "batchnorm": batchnorm,
}


# --- more models for summaries, explanations and checks (issue 3) ----------------------
# Kept out of ZOO on purpose: ZOO also drives the to_spec and to_code round trips,
# whose tests list the zoo's chains by name.


def wide() -> Any:
    """Long names, a three-way merge, a layer with three outputs, millions of parameters."""
    keras = _k.keras()
    first = keras.Input((1024,), name="first_input_with_a_long_name")
    second = keras.Input((6, 4), name="second_input")
    third = keras.Input((3,), name="third_input")
    big = keras.layers.Dense(2048, activation="relu", name="a_big_dense_layer_with_a_long_name")
    seq, state_h, state_c = keras.layers.LSTM(8, return_state=True, name="lstm_with_states")(second)
    merged = keras.layers.Concatenate(name="merge_everything")([big(first), seq, state_h, third])
    out = keras.layers.Dense(10, activation="softmax", name="classes")(merged)
    aux = keras.layers.Dense(1, name="auxiliary")(state_c)
    return keras.Model([first, second, third], [out, aux], name="wide")


def gallery() -> Any:
    """Embedding, SimpleRNN, GRU, Conv1D, Conv3D, LayerNormalization and a frozen Dense."""
    keras = _k.keras()
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    x = keras.layers.Embedding(100, 8, name="embedding")(tokens)
    x = keras.layers.SimpleRNN(6, return_sequences=True, name="simple_rnn")(x)
    x = keras.layers.GRU(5, name="gru")(x)
    signal = keras.Input((16, 3), name="signal")
    y = keras.layers.Conv1D(4, 3, activation="relu", name="conv1d")(signal)
    y = keras.layers.LayerNormalization(name="layer_norm")(y)
    y = keras.layers.GlobalAveragePooling1D(name="pool1d")(y)
    volume = keras.Input((4, 4, 4, 1), name="volume")
    z = keras.layers.Conv3D(2, 2, name="conv3d")(volume)
    z = keras.layers.Flatten(name="flatten")(z)
    frozen = keras.layers.Dense(3, name="frozen_dense", trainable=False)
    merged = keras.layers.Concatenate(name="merged")([x, y, frozen(z)])
    out = keras.layers.Dense(2, activation="softmax", name="out")(merged)
    return keras.Model([tokens, signal, volume], out, name="gallery")


def nested_deep() -> Any:
    """A Sequential inside a functional model inside another model: two levels deep."""
    keras = _k.keras()
    core = keras.Sequential(
        [keras.Input((4,), name="core_input"), keras.layers.Dense(4, name="core_dense")],
        name="core",
    )
    middle_in = keras.Input((4,), name="middle_input")
    middle = keras.Model(
        middle_in, keras.layers.Dense(2, name="middle_dense")(core(middle_in)), name="middle"
    )
    outer_in = keras.Input((4,), name="outer_input")
    x = keras.layers.BatchNormalization(name="outer_norm")(middle(outer_in))
    return keras.Model(outer_in, keras.layers.Dense(1, name="outer_dense")(x), name="deep")


MORE: dict[str, Callable[[], Any]] = {
    "wide": wide,
    "gallery": gallery,
    "nested_deep": nested_deep,
}


# --- models made of repeated blocks (issue 22) -------------------------------------------


def residual_unnamed() -> Any:
    """A stem and three residual blocks whose layers keep the names Keras makes up."""
    keras = _k.keras()
    layers = keras.layers
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(16, 3, padding="same")(inputs)
    for _ in range(3):
        y = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
        y = layers.BatchNormalization()(y)
        y = layers.Conv2D(16, 3, padding="same")(y)
        x = layers.Activation("relu")(layers.Add()([x, y]))
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, layers.Dense(2)(x), name="residual_unnamed")


def stacked_encoders() -> Any:
    """Four nested Sequential encoders of one structure, called one after the other."""
    keras = _k.keras()
    inputs = keras.Input((6,), name="features")
    x = inputs
    for i in range(4):
        encoder = keras.Sequential(
            [
                keras.Input((6,)),
                keras.layers.Dense(6, activation="relu", name=f"encoder_{i}_dense"),
                keras.layers.LayerNormalization(name=f"encoder_{i}_norm"),
            ],
            name=f"encoder_{i}",
        )
        x = encoder(x)
    return keras.Model(inputs, keras.layers.Dense(1, name="score")(x), name="stacked")


BLOCKY: dict[str, Callable[[], Any]] = {
    "residual_unnamed": residual_unnamed,
    "stacked_encoders": stacked_encoders,
}
