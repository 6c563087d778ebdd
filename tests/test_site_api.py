"""The built website's API reference and guide, read from its HTML (no browser needed).

``docs/api.md`` asks mkdocstrings for one entry per public name; this checks, in the
site that ``make test`` and ``make site`` build (``KERASGUIDE_SITE``), that every name
of ``kerasguide.__all__`` got its entry, with its docstring's summary and, where the
docstring has one, its example shown as code. ``tests/test_site.py`` opens the same
pages in Chromium.
"""

from __future__ import annotations

import html
import inspect
import os
import re
from pathlib import Path

import pytest

import kerasguide
from tests.site_build import wait_for_site

ROOT = Path(__file__).resolve().parents[1]
SITE = os.environ.get("KERASGUIDE_SITE")
GUIDE = (
    "guide-install",
    "guide-specs",
    "guide-summaries",
    "guide-errors",
    "guide-diagrams",
    "guide-cli",
    "guide-grading",
    "guide-limits",
    "guide-layout",
)
# An entry's heading: `<h3 id="kerasguide.build.build" ...>`, after the anchor
# `kerasguide.build` for a function named like its module.
HEADING = re.compile(r'<h3 id="(kerasguide\.[^"]+)"')

pytestmark = [
    pytest.mark.no_keras,
    pytest.mark.skipif(
        not SITE, reason="reads the built course website; run by `make test` and `make site`"
    ),
]


@pytest.fixture(scope="module", autouse=True)
def _built() -> None:
    """The site, once made (``make test`` makes it while the first tests run)."""
    site = wait_for_site()
    if site is None or not (site / "api" / "index.html").is_file():
        pytest.skip(f"no built site with an API reference in {SITE}; run `make site`")


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, without whitespace (tags split words apart)."""
    return "".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.fixture(scope="module")
def api_page() -> str:
    return (Path(str(SITE)) / "api" / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def entries(api_page: str) -> dict[str, str]:
    """Each top-level entry's HTML, by its heading's id, up to the next entry."""
    starts = [(m.start(), m.group(1)) for m in HEADING.finditer(api_page)]
    ends = [start for start, _ in starts[1:]] + [len(api_page)]
    return {name: api_page[start:end] for (start, name), end in zip(starts, ends, strict=True)}


def _entry(entries: dict[str, str], name: str) -> str:
    """``kg.build``'s entry is ``kerasguide.build.build``: ``kerasguide.build`` is a module."""
    is_module = (ROOT / "kerasguide" / f"{name}.py").is_file()
    return entries.get(f"kerasguide.{name}.{name}" if is_module else f"kerasguide.{name}", "")


def test_every_public_name_has_an_anchor_and_an_entry(
    api_page: str, entries: dict[str, str]
) -> None:
    no_anchor = [n for n in kerasguide.__all__ if f'id="kerasguide.{n}"' not in api_page]
    no_entry = [n for n in kerasguide.__all__ if not _entry(entries, n)]
    assert no_anchor == []
    assert no_entry == []


def test_every_entry_shows_its_docstring_and_its_example(entries: dict[str, str]) -> None:
    problems = []
    for name in kerasguide.__all__:
        obj = getattr(kerasguide, name)
        doc = inspect.getdoc(obj) if not isinstance(obj, str) else None
        shown = _text(_entry(entries, name))
        if doc is None:
            continue
        summary = re.sub(r":\w+:`~?([^`]+)`", r"\1", doc.split("\n\n")[0]).replace("`", "")
        if "".join(summary.split()) not in shown:
            problems.append(f"{name}: no summary {summary[:60]!r}")
        example = re.search(r"^Example:\n\s+(>>> .+?)(  # doctest: .*)?$", doc, re.MULTILINE)
        if example and ("Examples:" not in shown or "".join(example[1].split()) not in shown):
            problems.append(f"{name}: no example {example[1][:60]!r}")
    assert problems == []


def test_the_examples_are_code_blocks(entries: dict[str, str]) -> None:
    build = _entry(entries, "build")
    assert re.search(r"<code>.*&gt;&gt;&gt;", build, re.DOTALL), "doctest lines as code"


def test_the_guide_pages_are_built() -> None:
    missing = [g for g in GUIDE if not (Path(str(SITE)) / g / "index.html").is_file()]
    assert missing == []
    assert sorted(GUIDE) == sorted(p.stem for p in (ROOT / "docs").glob("guide-*.md"))
