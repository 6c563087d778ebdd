"""MkDocs hooks for the course website: the install line, and alt text for every picture.

**The install line.** ``make site-pages`` copies the wheel of ``make dist`` into the
site's ``dist/`` folder. Each lesson's cell tagged ``install`` becomes a line that
installs that wheel from the site's own address, ``site_url`` in ``mkdocs.yml``
(``KERASGUIDE_SITE_URL`` in the environment), where kerasguide is not installed yet,
in Colab for instance. ``{{ wheel }}`` and ``{{ wheel_url }}`` in a Markdown page
become the wheel's file name and its address.

**Alt text.** nbconvert writes a notebook's images as ``<img src="data:...">`` with a
placeholder ``alt`` ("No description has been provided for this image"). Each image
output is matched to its code cell by its data, and the alt text is the cell's ``alt``
metadata (a string, or a list with one entry per image) or, without it, a
description made from the cell's last line of code.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import nbformat
from mkdocs.exceptions import PluginError

IMAGE = re.compile(r"<img\s[^>]*>")
DATA = re.compile(r'\ssrc="data:image/(?:png|jpeg|gif);base64,([^"]+)"')
ALT = re.compile(r'\salt="[^"]*"')
PLACEHOLDER = "No description has been provided for this image"


INSTALL_TAG = "install"
WHEEL: dict[str, str] = {}  # the wheel's file name and address, for this build


def on_files(files: Any, config: Any, **_: Any) -> Any:
    """Find the published wheel, and write each lesson's install cell with its address."""
    wheels = sorted(Path(config.docs_dir, "dist").glob("kerasguide-*.whl"))
    if len(wheels) != 1:
        raise PluginError(
            f"expected one kerasguide wheel in {config.docs_dir}/dist/, found "
            f"{[w.name for w in wheels]}: `make dist`, then `make site-pages`"
        )
    if not config.site_url:
        raise PluginError("site_url is empty: set KERASGUIDE_SITE_URL to the site's address")
    WHEEL["name"] = wheels[0].name
    WHEEL["url"] = urljoin(config.site_url, f"dist/{wheels[0].name}")
    for file in files:
        if file.src_uri.endswith(".ipynb"):
            _write_install_cell(Path(file.abs_src_path), WHEEL["url"])
    return files


def install_cell_source(url: str) -> str:
    """The install cell of a lesson on the website, for the wheel at ``url``."""
    return (
        "# Outside the course (in Colab, say)? This installs kerasguide\n"
        "# from the course's website, where it is not installed yet.\n"
        "import importlib.util\n\n"
        'if importlib.util.find_spec("kerasguide") is None:\n'
        f"    %pip install {url}"
    )


def _write_install_cell(path: Path, url: str) -> None:
    notebook = nbformat.read(path, as_version=4)
    cells = [c for c in notebook.cells if INSTALL_TAG in c.metadata.get("tags", [])]
    if len(cells) != 1:
        raise PluginError(f"{path.name}: expected one code cell tagged {INSTALL_TAG!r}")
    cells[0].source = install_cell_source(url)
    cells[0].outputs, cells[0].execution_count = [], None  # it never ran with this source
    nbformat.write(notebook, path)


def on_page_markdown(markdown: str, **_: Any) -> str:
    """``{{ wheel }}`` and ``{{ wheel_url }}`` in a page: the wheel's name and address."""
    return markdown.replace("{{ wheel_url }}", WHEEL["url"]).replace("{{ wheel }}", WHEEL["name"])


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
