"""MkDocs hook for the course website: every picture of a notebook page gets alt text.

nbconvert writes a notebook's images as ``<img src="data:...">`` with a placeholder
``alt`` ("No description has been provided for this image"). Each image output is
matched to its code cell by its data, and the alt text is the cell's ``alt``
metadata (a string, or a list with one entry per image) or, without it, a
description made from the cell's last line of code.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nbformat

IMAGE = re.compile(r"<img\s[^>]*>")
DATA = re.compile(r'\ssrc="data:image/(?:png|jpeg|gif);base64,([^"]+)"')
ALT = re.compile(r'\salt="[^"]*"')
PLACEHOLDER = "No description has been provided for this image"


def on_page_content(content: str, page: Any, **_: Any) -> str:
    """Add ``alt`` to the notebook's images (MkDocs calls this for every page)."""
    if not page.file.src_uri.endswith(".ipynb"):
        return content
    alts = _alt_texts(nbformat.read(page.file.abs_src_path, as_version=4))

    def add_alt(match: re.Match[str]) -> str:
        tag, data = match.group(0), DATA.search(match.group(0))
        if data is None or (ALT.search(tag) and PLACEHOLDER not in tag):
            return tag  # not a notebook output, or it has its own alt text
        alt = alts.get(data.group(1).replace("\n", ""), "A picture drawn by the code above")
        return f'<img alt="{html.escape(alt)}"' + ALT.sub("", tag)[len("<img") :]

    return IMAGE.sub(add_alt, content)


def _alt_texts(notebook: Any) -> dict[str, str]:
    """The alt text of each image output, by its base64 data."""
    found: dict[str, str] = {}
    for cell in notebook.cells:
        images = [
            data.replace("\n", "")
            for output in cell.get("outputs", [])
            for mime, data in output.get("data", {}).items()
            if mime in ("image/png", "image/jpeg", "image/gif")
        ]
        given = cell.metadata.get("alt", [])
        given = [given] if isinstance(given, str) else list(given)
        for index, data in enumerate(images):
            found[data] = given[index] if index < len(given) else _described(cell.source)
    return found


def _described(source: str) -> str:
    code = [line for line in source.splitlines() if line.strip() and not line.startswith("#")]
    last = code[-1].strip() if code else "the code above"
    if "plot_model" in source:
        return f"Diagram of the model's layers and connections, drawn by: {last}"
    return f"Picture drawn by the code above, ending in: {last}"
