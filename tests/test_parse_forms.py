"""parse_summary() on a summary wrapped as it is copied out of other text (issue 20).

A summary copied out of a notebook's JSON, out of a log, or kept as ``#`` comments
parses to exactly what the plain summary parses to: the same rows, totals, name and
memory. The stored files (tests/data/real_summaries/, see index.json) are the text
that nbformat, :mod:`logging` and absl wrote around Keras's own; the other cases wrap
Keras 3 text printed here and the Keras 2 text of tests/data/keras2/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
from tests import models
from tests.test_parse import keras_text

DATA = Path(__file__).parent / "data"
REAL = DATA / "real_summaries"


def read(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def parsed(text: str, name: str | None = None) -> dict[str, Any]:
    return kg.parse_summary(text, name=name).to_dict()


@pytest.mark.parametrize(
    "name", ["k2_skip_hash.txt", "k2_skip_ipynb.txt", "k2_skip_logging.txt", "k2_skip_absl.txt"]
)
def test_stored_keras_2_forms_parse_as_the_plain_summary(name: str) -> None:
    assert parsed(read(name)) == parsed(read("k2_skip.txt"))


@pytest.mark.parametrize(
    "name", ["k3_decoder_ipynb.txt", "k3_decoder_json_escaped.txt", "k3_decoder_logging.txt"]
)
def test_stored_keras_3_forms_parse_as_the_plain_summary(name: str) -> None:
    assert parsed(read(name)) == parsed(read("k3_autoencoder_cell.txt"), "decoder")


def _notebook(lines: list[str], **dump: Any) -> str:
    output = {"name": "stdout", "output_type": "stream", "text": [f"{ln}\n" for ln in lines]}
    cell = {"cell_type": "code", "outputs": [output], "source": ["model.summary()"]}
    return json.dumps({"cells": [cell], "nbformat": 4}, **dump)


FORMS: dict[str, Callable[[str], str]] = {
    # a notebook's JSON: as Jupyter saves it, on one line, with \u2502 escapes; one string
    "ipynb": lambda t: _notebook(t.splitlines(), indent=1, ensure_ascii=False),
    "ipynb_one_line": lambda t: _notebook(t.splitlines()),
    "json_string": lambda t: json.dumps(t),
    "json_value": lambda t: json.dumps({"text/plain": t}, indent=1),
    "json_unquoted": lambda t: json.dumps(t)[1:-1],
    # a log: every line prefixed, or Keras 3's one record; then the next record
    "logging": lambda t: (
        "".join(f"INFO:root:{ln}\n" for ln in t.splitlines()) + "INFO:root:Epoch 1/10\n"
    ),
    "logging_one_record": lambda t: f"INFO:root:{t}\nINFO:root:Epoch 1/10\n",
    "asctime": lambda t: "".join(
        f"2024-01-01 12:00:00,123 - INFO - {ln}\n" for ln in [*t.splitlines(), "Epoch 1/10"]
    ),
    "absl": lambda t: "".join(
        f"I0101 12:00:00.123456 {140000 + 7 * i} train.py:{40 + i}] {ln}\n"
        for i, ln in enumerate(t.splitlines())
    ),
    # comments, with and without a space after the '#'
    "comment": lambda t: "".join(f"# {ln}\n" for ln in t.splitlines()),
    "comment_no_space": lambda t: "".join(f"#{ln}\n" for ln in t.splitlines()),
}


def _texts() -> Iterator[tuple[str, str]]:
    for path in sorted((DATA / "keras2").glob("*.txt")):
        yield path.stem, path.read_text(encoding="utf-8")
    yield "seed", (DATA / "seed_summary.txt").read_text(encoding="utf-8")
    yield "keras1", read("keras1_behavioral_cloning.md").split("```")[1]


@pytest.mark.parametrize("form", list(FORMS))
def test_every_form_of_keras_2_text_parses_as_the_plain_text(form: str) -> None:
    for name, text in _texts():
        assert parsed(FORMS[form](text)) == parsed(text), name


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("model", ["seed_mlp", "nested_deep", "shared_layer", "wide"])
def test_every_form_of_keras_3_text_parses_as_the_plain_text(form: str, model: str) -> None:
    built = {**models.ZOO, **models.MORE}[model]()
    for text in (keras_text(built), keras_text(built, expand_nested=True, show_trainable=True)):
        assert parsed(FORMS[form](text)) == parsed(text)


def test_a_trained_model_logged_keeps_its_optimizer_apart() -> None:
    model = models.seed_mlp()
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    logged = parsed(FORMS["logging_one_record"](keras_text(model)))
    assert (logged["total"], logged["optimizer"]) == (551, 1104)


def test_an_error_in_a_logged_summary_names_the_line_without_its_prefix() -> None:
    text = FORMS["asctime"](keras_text(models.seed_mlp()).replace(" 220 │", " 230 │"))
    with pytest.raises(
        kg.SummaryParseError,
        match=r"line 15: the total contradicts the table(.|\n)*"
        r"received: 'Total params: 551 \(2.15 KB\)'",
    ):
        kg.parse_summary(text)


def test_json_that_holds_no_summary_is_not_a_summary() -> None:
    with pytest.raises(kg.SummaryParseError, match=r"line 1: this line is not the start"):
        kg.parse_summary(json.dumps({"text": "loss: 0.31\nval_loss: 0.35\n"}))
