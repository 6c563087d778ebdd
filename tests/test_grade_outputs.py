"""What the grader writes, read as a student and an instructor would read it.

- The notebook a feedback page shows loads nothing: a page holding each way HTML
  and CSS can name something elsewhere is written again by ``offline()`` with none
  of them left, and stays readable.
- No path of the grading machine is in it: ``scrub()`` writes them as neutral names
  (``tests/test_grade_class.py`` checks every file of a sandboxed and a trusted batch).
- In headless Chromium with the network off, every feedback page and the overview of
  the example class (graded once per session, ``tests/graded_class.py``; the correct
  student's notebook names an image and a web font in Markdown and an image in an
  output) makes no request that would leave the machine, from the page or from the
  student's notebook frame, and each frame shows the student's notebook. The same
  page with the hostile HTML as it was, not made offline, is the control: there the
  browser does ask the network. A screenshot goes to build/grade-shots/.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from kerasguide.grading._offline import offline
from kerasguide.grading._output import feedback_page
from kerasguide.grading._scrub import scrub
from tests import graded_class

SHOTS = Path(__file__).resolve().parents[1] / "build" / "grade-shots"
CHROMIUM = next(
    filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))),
    None,
)
LOCAL = ("file:", "data:", "about:", "blob:")

# Each way a page can name something elsewhere, and text that must stay readable.
HOSTILE = """<!DOCTYPE html><html><head>
<script src="https://evil.example/a.js"></script><script>fetch('https://evil.example/js')</script>
<link rel="stylesheet" href="https://evil.example/a.css"><link rel=preload href="//evil.example/f">
<base href="https://evil.example/"><meta http-equiv="refresh" content="9;url=https://evil.example/go">
<style>@import url(https://evil.example/import.css); @import "https://evil.example/import2.css";
@font-face{font-family:F;src:url(https://evil.example/f.woff)}
body{color:#333;background:url('https://evil.example/bg.png')}
.a{background-image:-webkit-image-set("https://evil.example/set.png" 1x)}
.b{cursor:url(http://evil.example/c.cur),auto} .c{background:url(#local)}</style>
<style>.d{background:u\\72l(https://evil.example/escaped.png)}</style>
</head><body background="https://evil.example/body.png">
<h1 id="top">Kept heading</h1>
<p style="background-image:url(https://evil.example/p.png);color:red">kept paragraph</p>
<img src="https://evil.example/i.png" srcset="https://evil.example/i2.png 2x" alt="an image">
<img src="//evil.example/proto.png"><img src=" https://evil.example/space.png"><img src="rel.png">
<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">
<picture><source srcset="https://evil.example/p.webp"><img src="data:image/gif;base64,R0"></picture>
<iframe src="https://evil.example/frame"></iframe>
<iframe srcdoc="&lt;img src=https://evil.example/srcdoc.png&gt;"></iframe>
<video src="https://evil.example/v.mp4" poster="https://evil.example/poster.png">
<source src="https://evil.example/s.mp4"><track src="https://evil.example/t.vtt"></video>
<audio src="https://evil.example/a.mp3"></audio>
<object data="https://evil.example/o.svg"></object><embed src="https://evil.example/e.svg">
<svg width="10" height="10"><image href="https://evil.example/svg.png"/>
<use xlink:href="https://evil.example/sprite.svg#a"/><rect fill="url(https://evil.example/g#g)"/>
<rect fill="url(#local)" width="5" height="5"/><set attributeName="href" to="https://evil.example/s"/>
</svg>
<input type="image" src="https://evil.example/button.png">
<form action="https://evil.example/form"><button formaction="https://evil.example/b">go</button></form>
<table background="https://evil.example/table.png"><tr><td>a cell</td></tr></table>
<img src="x.png" onerror="fetch('https://evil.example/onerror')">
<a href="https://evil.example/link">a link's text</a> <a href="#top">back to top</a>
<!-- <img src="https://evil.example/comment.png"> -->
<svg><![CDATA[<img src="https://evil.example/cdata.png">]]></svg>
<img src="https://evil.example/unclosed.png"
"""


class _Read(HTMLParser):
    """Every element and attribute, and the text of each <style>, as a browser gets them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


def test_offline_leaves_nothing_that_loads_and_keeps_the_text() -> None:
    page = offline(HOSTILE)
    # The address of what was left out is shown on hover (title) and as text (what the
    # parser did not read as markup is written as text), never in markup.
    assert "evil.example" in page
    markup = "".join(re.findall(r"<[^<>]*>", page))
    assert "evil.example" not in re.sub(r'title="[^"]*"', "", markup)
    read = _Read()
    read.feed(page)
    tags = {tag for tag, _ in read.tags}
    assert not tags & {"script", "iframe", "object", "embed", "link", "base", "set"}
    addresses = ("href", "src", "srcset", "poster", "data", "action", "formaction", "background")
    for tag, attrs in read.tags:
        assert not [name for name in attrs if name.startswith("on")], tag
        for name in (*addresses, "xlink:href"):
            value = attrs.get(name)
            assert value is None or value.startswith(("#", "data:")), (tag, name, value)
        for value in attrs.values():
            assert not re.search(r"(?i)url\((?!#|data:)", value or ""), (tag, value)
    csp = [a for t, a in read.tags if t == "meta" and a.get("http-equiv")]
    assert [a["http-equiv"] for a in csp] == ["Content-Security-Policy"]
    assert "default-src 'none'" in str(csp[0]["content"])
    for style in read.styles:
        assert not re.search(r"(?i)@import|url\((?!#|data:)", style), style
    # ... and what loads nothing stays: text, inline images, fragments, inline styles.
    for kept in ("Kept heading", "kept paragraph", "a link's text", "a cell", ">go<",
                 'src="data:image/png;base64,iVBORw0KGgo="', 'href="#top"',
                 'fill="url(#local)"', ".c{background:url(#local)}", "color:red"):  # fmt: skip
        assert kept in page, kept
    assert page.index("Content-Security-Policy") < page.index("Kept heading")


def test_paths_of_the_grading_machine_become_neutral_names() -> None:
    tmp = tempfile.gettempdir()
    site = next(p for p in sys.path if p.endswith("site-packages"))
    said = f"No such file or directory: '{tmp}/kerasguide-grade-a1_b2/work/mnist.npz'"
    assert scrub(said) == "No such file or directory: '/kerasguide-kernel/work/mnist.npz'"
    assert scrub(f"File {site}/keras/src/ops/nn.py:12, in relu") == (
        "File <python>/keras/src/ops/nn.py:12, in relu"
    )
    assert scrub(f"{tmp}/kerasguide-model-x1/model.keras: bad") == "model.keras: bad"
    assert scrub(f"{tmp}/kerasguide-grade-z/kg/run/k") == "/kerasguide-kernel/private/run/k"
    assert scrub(f"{tmp}/kerasguide-grade-z/tmp/t.txt") == "/tmp/t.txt"
    for kept in (f"{tmp}/elsewhere/data.npz", "/usr/lib/x86_64-linux-gnu", "data/digits.npz"):
        assert scrub(kept) == kept


def test_cells_without_an_id_get_the_same_ids_on_every_run() -> None:
    import nbformat

    from kerasguide.grading._kernel import _with_cell_ids

    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "source": "x = 1"}
    text = json.dumps({"cells": [cell, {**cell, "id": "cell-1"}, cell], "metadata": {},
                       "nbformat": 4, "nbformat_minor": 5})  # fmt: skip
    read = [nbformat.reads(_with_cell_ids(text), as_version=4) for _ in range(2)]
    assert [[c.id for c in nb.cells] for nb in read] == [["cell-0", "cell-1", "cell-2"]] * 2
    for kept in ("{not json", json.dumps({"cells": [cell], "nbformat_minor": 4})):
        assert _with_cell_ids(kept) == kept  # nbformat draws no ids there, or says what is wrong


@pytest.mark.slow  # the example class's kernels (shared with tests/test_grade.py) and Chromium
@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_pages_load_nothing_in_chromium_offline(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    out = graded_class.graded_folder(tmp_path_factory)
    record = json.loads((out / "students" / "correct" / "record.json").read_text())
    control = tmp_path / "control.html"
    control.write_text(feedback_page(record, HOSTILE), encoding="utf-8")  # not made offline
    pages = [*sorted(out.glob("students/*/feedback.html")), out / "overview.html"]
    assert len(pages) == len(graded_class.STUDENTS) + 1
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        # a sandboxed frame in the page's own process, where every request of it is heard
        # (out of process, its first requests can come before the recorder is attached)
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-features=IsolateSandboxedIframes"],
        )
        try:
            context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
            tab = context.new_page()
            heard: dict[str, list[str]] = {"requests": [], "refused": []}
            tab.on("request", lambda r: heard["requests"].append(r.url))  # the frame's too
            tab.on("console", lambda m: "Content Security Policy" in m.text
                   and heard["refused"].append(m.text))  # fmt: skip
            seen = {page: _open(tab, page, heard) for page in [control, *pages]}
        finally:
            browser.close()
    requests, _, _ = seen.pop(control)
    assert [u for u in requests if "evil.example" in u], requests  # the recorder hears them
    for page, (requests, refused, frame) in seen.items():
        assert [u for u in requests if not u.startswith(LOCAL)] == [], page
        assert refused == [], page  # nothing left for the page's policy to stop
        student = page.parent.name
        if page.name == "overview.html":
            assert "file:" in " ".join(requests)  # overview.png, from beside the page
        elif student == "not_json":
            assert frame is None  # no notebook to show
        else:
            assert "from keras import layers" in str(frame), student
    correct = str(seen[out / "students" / "correct" / "feedback.html"][2])
    assert "My notes" in correct
    assert "My loss curve:" in correct


def _open(
    tab: Any, path: Path, heard: dict[str, list[str]]
) -> tuple[list[str], list[str], str | None]:
    """Every request of the page and its frame, what its policy refused, the frame's text."""
    heard["requests"], heard["refused"] = [], []
    tab.goto(path.as_uri(), wait_until="load")
    # the frame's requests may come after the page's load (under load, well after): every
    # page is given until the network has been idle for half a second to make them
    tab.wait_for_load_state("networkidle")
    if path.name == "control.html":  # its frame's requests are what is waited for, up to 20 s
        end = time.monotonic() + 20
        while not any("evil.example" in u for u in heard["requests"]) and time.monotonic() < end:
            tab.wait_for_timeout(100)
    frames = tab.frames[1:]
    frame = frames[0].inner_text("body") if frames else None
    if path.parent.name == "correct":
        tab.screenshot(path=str(SHOTS / "feedback-correct.png"), full_page=True)
    return heard["requests"], heard["refused"], frame
