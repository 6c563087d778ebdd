"""Regenerate the files of tests/data/real_summaries/ that Keras itself printed.

Keras 3 text comes from the project's environment; Keras 2 text from ``tf_keras``
2.21, installed apart (it is not a dependency)::

    .venv/bin/pip install --no-deps --target /tmp/tfk "tf-keras~=2.21.0"
    PYTHONPATH=/tmp/tfk:. .venv/bin/python tests/data/real_summaries/make_summaries.py

The text is Keras's own; a file may put it in the form course material keeps it
in (a Markdown list item, ``# `` comments, a docstring, a notebook's JSON, a log),
as index.json says. Logs are written by :mod:`logging` and absl's handlers
themselves, with the time fixed so that the files do not change when regenerated.
"""

from __future__ import annotations

import io
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("COLUMNS", "250")  # rich crops Keras 3 tables at the terminal's width
os.environ["TZ"] = "UTC"  # the logs' fixed time
time.tzset()

FOLDER = Path(__file__).parent


def text(model: Any, **options: Any) -> str:
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line), **options)
    return "\n".join(lines) + "\n"


def notebook(source: str, output: str) -> str:
    """A one-cell notebook's file, as Jupyter saves it (nbformat 4, one space of indent)."""
    import nbformat

    cell = nbformat.v4.new_code_cell(source, execution_count=1, id="summary")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    return nbformat.writes(nbformat.v4.new_notebook(cells=[cell])) + "\n"


class FixedTime(logging.Formatter):
    """A formatter whose records all carry the same time (and absl's thread id)."""

    def format(self, record: logging.LogRecord) -> str:
        record.created, record.msecs, record.thread = 1752585522.0, 180.0, 140000
        return super().format(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        return "2025-07-15 13:18:42,180"


def logged(show: Callable[[Callable[..., None]], None], fmt: str, after: str) -> str:
    """What a script's logger writes when ``show(logger.info)`` prints a summary, and
    ``after`` is the next thing it logs."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(FixedTime(fmt))
    logger = logging.getLogger("training.utils")
    logger.handlers, logger.propagate = [handler], False
    logger.setLevel(logging.INFO)
    show(lambda line, **_: logger.info(line))
    logger.info(after)
    return stream.getvalue()


def absl_logged(tf_keras: Any, model: Any) -> str:
    """What tf_keras prints through absl when interactive logging is off (in a server)."""
    from absl import logging as absl_logging

    class Absl(FixedTime, absl_logging.PythonFormatter):
        pass

    absl_logging._get_thread_id = lambda: 140000  # absl prints the thread's id, not the record's
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(Absl())
    absl_logger = absl_logging.get_absl_logger()
    absl_logger.handlers, absl_logger.propagate = [handler], False
    absl_logging.set_verbosity(absl_logging.INFO)
    tf_keras.utils.disable_interactive_logging()
    try:
        model.summary()
    finally:
        tf_keras.utils.enable_interactive_logging()
    return stream.getvalue()


def keras3(keras: Any) -> dict[str, str]:
    layers = keras.layers
    inputs = keras.Input((28, 28, 1), name="img")
    x = layers.Conv2D(16, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Flatten()(x)
    code = layers.Dense(32, name="code")(x)
    encoder = keras.Model(inputs, code, name="encoder")
    latent = keras.Input((32,))
    y = layers.Dense(13 * 13 * 16)(latent)
    y = layers.Reshape((13, 13, 16))(y)
    y = layers.Conv2DTranspose(1, 4, strides=2)(y)
    decoder = keras.Model(latent, y, name="decoder")
    auto = keras.Model(inputs, decoder(encoder(inputs)), name="autoencoder")
    a = keras.Input((16,), name="features")
    h = layers.Dense(16, activation="relu", name="hidden_layer_one")(a)
    s = layers.Add(name="skip_connection_add")([a, h])
    o = layers.Dense(3, name="class_probabilities")(s)
    skip = keras.Model(a, o, name="skip")
    return {
        "k3_autoencoder_cell.txt": text(encoder) + text(decoder) + text(auto),
        "k3_skip_narrow.txt": text(skip, line_length=72),
        "k3_skip_wide.txt": text(skip, line_length=140),
        "k3_autoencoder_nested.txt": text(auto, expand_nested=True, show_trainable=True),
        "k3_encoder_list_item.md": "- The encoder:\n\n  ```\n"
        + "".join(f"  {line}\n" for line in text(encoder).splitlines())
        + "  ```\n",
        "k3_decoder_comments.txt": "".join(f"# {line}\n" for line in text(decoder).splitlines()),
        "k3_decoder_no_footer.txt": text(decoder).split(" Total params")[0],
        "k3_skip_nbconvert.md": "".join(f"    {line}\n" for line in text(skip).splitlines()),
        "k3_decoder_trainable.txt": text(decoder, show_trainable=True, line_length=100),
        "k3_decoder_ipynb.txt": notebook("decoder.summary()", text(decoder)),
        "k3_decoder_json_escaped.txt": json.dumps({"summary": text(decoder)}) + "\n",
        "k3_decoder_logging.txt": logged(
            lambda info: decoder.summary(print_fn=info),
            "%(levelname)s:%(name)s:%(message)s",
            "Epoch 1/10",
        ),
    }


def keras2(tf_keras: Any) -> dict[str, str]:
    layers = tf_keras.layers
    cnn = tf_keras.Sequential(
        [
            layers.Conv2D(8, 3, activation="relu", input_shape=(28, 28, 1)),
            layers.BatchNormalization(),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dense(10),
        ],
        name="cnn",
    )
    resnet = tf_keras.applications.ResNet50(weights=None)
    a = tf_keras.Input((16,), name="features")
    h = layers.Dense(16, activation="relu", name="hidden")(a)
    skip = tf_keras.Model(a, layers.Dense(3)(layers.Add()([a, h])), name="skip")
    doc = text(cnn)
    return {
        "k2_resnet50.txt": text(resnet),
        "k2_cnn_docstring.txt": 'model.summary()\n"""' + doc.split("\n", 1)[1] + '"""\n',
        "k2_cnn_narrow.txt": text(cnn, line_length=50),
        "k2_skip.txt": text(skip),
        "k2_cnn_trainable.txt": text(cnn, show_trainable=True),
        "k2_skip_hash.txt": "model.summary()\n" + "".join(f"#{ln}\n" for ln in text(skip).splitlines()),
        "k2_skip_ipynb.txt": notebook("skip.summary()", text(skip)),
        "k2_skip_logging.txt": logged(
            lambda info: skip.summary(print_fn=info),
            "%(asctime)s - %(name)s - %(levelname)s - %(message)s",
            ">>> Compiling the model",
        ),
        "k2_skip_absl.txt": absl_logged(tf_keras, skip),
    }


def main() -> None:
    makers: list[tuple[str, Callable[[Any], dict[str, str]]]] = [("keras", keras3)]
    try:
        import tf_keras  # noqa: F401

        makers.append(("tf_keras", keras2))
    except ImportError:
        print("tf_keras is not installed: Keras 2 files are left as they are")
    for module, make in makers:
        for name, body in make(__import__(module)).items():
            (FOLDER / name).write_text(body, encoding="utf-8")
            print("wrote", name)


if __name__ == "__main__":
    main()
