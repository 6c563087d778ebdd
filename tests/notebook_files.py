"""Notebooks written by the grading tests: code cells only, as nbformat 4 JSON."""

from __future__ import annotations

import json


def notebook_json(cells: list[str]) -> str:
    """A notebook of ``cells`` (code), never run, with a Python 3 kernelspec."""
    return json.dumps(
        {
            "cells": [
                {"cell_type": "code", "metadata": {}, "source": c, "outputs": [],
                 "execution_count": None}
                for c in cells
            ],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4,
            "nbformat_minor": 5,
        }
    )  # fmt: skip
