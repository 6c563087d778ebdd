"""The catalogue of hint codes: each code, and in a line what it means.

Grouped as ``kg.lint``'s docstring lists them. A code is the name a hint is silenced by
(``lint(ignore=[...])``, ``build(ignore_hints=[...])``, ``KERASGUIDE_IGNORE_HINTS``), so a
code never changes once released.
"""

from __future__ import annotations

__all__ = ["CODES", "GROUPS"]

GROUPS: dict[str, dict[str, str]] = {
    "output layers and losses": {
        "softmax-one-unit": "softmax over one value always outputs 1.0",
        "missing-output-activation": "no sigmoid/softmax where probabilities are expected",
        "relu-output": "relu on an output expected to be a probability",
        "wrong-output-activation": "another activation where probabilities are expected",
        "activation-with-logits": "sigmoid/softmax on an output expected to be logits",
        "sigmoid-with-categorical-loss": "sigmoid outputs trained with a categorical loss",
        "softmax-with-binary-loss": "softmax over 3+ classes trained with binary_crossentropy",
        "one-unit-classifier": "a categorical loss (or task: classification) on one unit",
        "softmax-regression": "softmax on an output trained for regression",
        "accuracy-on-regression": "the accuracy metric on a regression",
        "normalization-after-output": "BatchNormalization after the output's sigmoid/softmax",
        "dropout-after-output": "Dropout after the output's sigmoid/softmax",
        "dense-without-flatten": "Dense on a 3-D or larger input at the model's output",
        "return-sequences": "return_sequences left on the last recurrent layer",
    },
    "input shapes": {
        "batch-in-input-shape": "the batch axis (None or a batch size) in the input shape",
        "channels-first": "images with the channels first, read channels last",
        "integer-input-without-embedding": "integer ids read as amounts, without an Embedding",
        "recurrent-one-step": "a recurrent layer over a single time step",
    },
    "convolutions and pooling": {
        "kernel-larger-than-input": "a convolution over a 1-pixel map: its kernel reads padding",
        "stride-skips-input": "strides larger than the window: values never read",
    },
    "regularisation and normalisation": {
        "dropout-high": "a dropout rate of 0.9 or more",
        "batchnorm-axis": "BatchNormalization over another axis than the channels",
        "batchnorm-momentum": "a BatchNormalization momentum below 0.5 (PyTorch's convention)",
        "regularizer-high": "an L1/L2 factor over 0.1",
    },
    "layers": {
        "no-effect": "a layer that changes nothing",
        "double-activation": "an activation layer after a layer with its own activation",
        "linear-stack": "a Dense without activation feeding another Dense",
        "embedding-swapped": "an Embedding's input_dim and output_dim swapped",
    },
    "the data given to fit (lint(x=..., y=...))": {
        "input-data-shape": "x's shape is not the model's input shape",
        "inputs-not-scaled": "pixel values 0-255 fed without scaling",
        "embedding-vocabulary": "token ids larger than an Embedding's input_dim",
        "sparse-labels-categorical-loss": "integer labels with categorical_crossentropy",
        "one-hot-labels-sparse-loss": "one-hot labels with sparse_categorical_crossentropy",
        "labels-out-of-range": "class ids the output layer has no unit for",
        "regression-loss-on-labels": "a regression loss on class labels",
        "output-range": "labels outside the range of the output's activation",
    },
    "training (LivePlot, after the first epoch)": {
        "loss-nan": "the loss is NaN",
        "loss-constant": "the loss did not change during the first epoch",
        "accuracy-at-chance": "accuracy at 1/classes after the first epoch",
    },
}

CODES: dict[str, str] = {code: text for group in GROUPS.values() for code, text in group.items()}
"""Every hint code, and what it means in a line."""
