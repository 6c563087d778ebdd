"""Which notebooks are given Keras before their first cell (kerasguide/grading/_warm.py)."""

from __future__ import annotations

import pytest

from kerasguide.grading._warm import RESET, needs_keras, warm_cell

pytestmark = pytest.mark.no_keras


@pytest.mark.parametrize(
    "sources",
    [
        [],
        ["x = 1"],
        ["import os, json\nfrom collections import Counter", "print(Counter('aab'))"],
        ["import os.path as p\nfrom json import decoder"],
        ["def f():\n    import math\n    return math.pi", "# import keras (a comment)"],
        ["s = 'import keras'"],
        ["from IPython.display import display, HTML\ndisplay(HTML('<b>hi</b>'))"],
    ],
)
def test_plain_standard_library_code_is_not_given_keras(sources: list[str]) -> None:
    assert needs_keras(sources) is False
    assert warm_cell(sources) == RESET


@pytest.mark.parametrize(
    "sources",
    [
        ["import keras"],
        ["import tensorflow as tf"],
        ["from keras import layers"],
        ["import numpy as np"],
        ["import os", "def build():\n    import keras\n    return keras.Sequential()"],
        ["import os, numpy"],
        ["from . import helper"],  # a module of the notebook's folder
        ["import importlib\nk = importlib.import_module('ker' + 'as')"],
        ["m = __import__('keras')"],
        ["exec('import keras')"],
        ["import pickle\nmodel = pickle.load(open('m.pkl', 'rb'))"],
        ["import runpy"],
        ["!pip install keras"],
        ["%run train.py"],
        ["%%capture\nx = 1"],
        ["def broken(:\n    pass"],  # does not parse: cannot be read, so warmed
        ["x = 1", "import sklearn"],
        ["import IPython\nIPython.get_ipython().run_line_magic('run', 'train.py')"],
        ["from IPython.display import display\nfrom IPython import get_ipython"],
    ],
)
def test_code_that_may_import_keras_is_given_it_first(sources: list[str]) -> None:
    assert needs_keras(sources) is True
    cell = warm_cell(sources)
    assert "import keras" in cell
    assert cell.endswith(RESET)


def test_the_assignment_s_setup_counts_like_the_notebook() -> None:
    assert needs_keras(["import numpy as np\nDIGITS = 'digits.npz'", "x = 1"]) is True
    assert needs_keras(["", "x = 1"]) is False
