"""The course website in a real browser: headless Chromium opens every page.

``make site`` (every notebook run in full) and ``make test`` (the fast-mode run of
``make notebooks``) build the site and run this file with ``KERASGUIDE_SITE`` set to
its folder. The site is served over HTTP from this process, and Playwright drives
the system's Chromium (Debian's ``chromium``, installed by ``make`` when root).
Every page is opened: the front page, the lessons, the guide (``docs/guide-*.md``) and
the API reference (``docs/api.md``, whose entries ``tests/test_site_api.py`` checks in
the built HTML). Screenshots go to ``build/site-shots/``: the first screen of every
page, and with ``KERASGUIDE_SITE_FULL_SHOTS=1`` (``make site``) the whole page too.
Without a built site, Playwright or Chromium, the tests are skipped with the reason;
``make test`` makes the site while the first tests run, and these wait for it
(``tests/site_build.py``).
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.site_build import wait_for_site
from tests.test_notebooks import EXPECTED

ROOT = Path(__file__).resolve().parents[1]
SITE = os.environ.get("KERASGUIDE_SITE")
SHOTS = ROOT / "build" / "site-shots"
LESSONS = EXPECTED  # every course notebook is a lesson of the site
GUIDE = sorted(path.stem for path in (ROOT / "docs").glob("guide-*.md"))
# Entries of the API reference shown in their own screenshot: a function and a class.
API_SHOTS = ("kerasguide.check_model", "kerasguide.Summary")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def _chromium() -> str | None:
    return next(filter(None, (shutil.which(name) for name in CHROMIUM_NAMES)), None)


def _why_skip() -> str | None:
    if not SITE:
        return "opens the built course website; run by `make test` and `make site`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[docs]')"
    if _chromium() is None:
        return "Chromium is not installed (`apt-get install chromium`, which `make` does as root)"
    return None


pytestmark = [
    pytest.mark.browser,
    pytest.mark.no_keras,
    pytest.mark.skipif(_why_skip() is not None, reason=str(_why_skip())),
]


@pytest.fixture(scope="module", autouse=True)
def _built() -> None:
    """The site, once made (``make test`` makes it while the first tests run)."""
    site = wait_for_site()
    if site is None or not (site / "index.html").is_file():
        pytest.skip(f"no built site in {SITE}; run `make site`")


@dataclass
class Visit:
    """What the browser saw on one page."""

    url: str
    problems: list[str] = field(default_factory=list)
    images: list[dict[str, Any]] = field(default_factory=list)
    nav: list[str] = field(default_factory=list)
    tables: list[dict[str, Any]] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)
    hidden_setup: bool = True
    # Each kerasguide wheel the page links to or installs from, and what fetching it gave.
    wheels: dict[str, str] = field(default_factory=dict)
    install_urls: list[str] = field(default_factory=list)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    handler = functools.partial(_Quiet, directory=str(SITE))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def visits(server: str) -> dict[str, Visit]:
    """Every HTML page of the site, opened once; screenshots saved on the way."""
    from playwright.sync_api import sync_playwright

    folders = (path.parent.relative_to(str(SITE)) for path in Path(str(SITE)).rglob("index.html"))
    pages = sorted("" if folder == Path() else folder.as_posix() + "/" for folder in folders)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            visits = {page: _visit(context, server, page) for page in pages}
            _shoot_api_entries(context, server)
            return visits
        finally:
            browser.close()


def _visit(context: Any, server: str, path: str) -> Visit:
    visit = Visit(server + path)
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and visit.problems.append(f"console: {m.text}"))
    page.on("pageerror", lambda error: visit.problems.append(f"page error: {error}"))
    page.on("requestfailed", lambda r: visit.problems.append(f"request failed: {r.url[:120]}"))
    page.on(
        "request",
        lambda r: (
            r.url.startswith(("http:", "https:"))
            and not r.url.startswith(server)
            and visit.problems.append(f"request to another server: {r.url[:120]}")
        ),
    )
    page.on(
        "response",
        lambda r: r.status >= 400 and visit.problems.append(f"HTTP {r.status}: {r.url[:120]}"),
    )
    page.goto(visit.url, wait_until="load")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)")
    visit.images = page.evaluate(_IMAGES)
    visit.nav = page.evaluate(_NAV)
    visit.tables = page.evaluate(_TABLES)
    visit.checks = page.evaluate(_CHECKS)
    visit.hidden_setup = "Course set-up" not in page.inner_text("body")
    _fetch_wheels(page, visit, server, path)
    name = path.strip("/").replace("/", "_") or "index"
    page.screenshot(path=SHOTS / f"{name}.png")
    if os.environ.get("KERASGUIDE_SITE_FULL_SHOTS") == "1":
        page.screenshot(path=SHOTS / f"{name}-full.png", full_page=True)
    page.close()
    return visit


def _shoot_api_entries(context: Any, server: str) -> None:
    """A screenshot of a few entries of the API reference, scrolled to each."""
    page = context.new_page()
    for name in API_SHOTS:
        page.goto(f"{server}api/#{name}", wait_until="load")
        page.locator(f"[id='{name}']").scroll_into_view_if_needed()
        page.screenshot(path=SHOTS / f"api_{name.rsplit('.', 1)[1]}.png")
    page.close()


INSTALL_URL = re.compile(r"pip install (\S+\.whl)")


def _fetch_wheels(page: Any, visit: Visit, server: str, path: str) -> None:
    """Fetch, from the local server, each wheel the page links to or installs from.

    An install line holds the published address (``site_url``): its part after the
    site's address, read from the page's canonical link, is fetched from this server.
    """
    canonical = page.evaluate("document.querySelector('link[rel=canonical]')?.href || ''")
    site_url = canonical[: len(canonical) - len(path)] if canonical.endswith(path) else ""
    visit.install_urls = INSTALL_URL.findall(page.inner_text("article"))
    local = {url: server + url[len(site_url) :] for url in visit.install_urls}
    links = page.evaluate("Array.from(document.links).map(a => a.href)")
    local |= {url: url for url in links if url.endswith(".whl")}
    for url, here in local.items():
        if not site_url or not here.startswith(server):
            visit.wheels[url] = f"not under the site's address {site_url!r}"
            continue
        response = page.request.get(here)
        body = response.body() if response.ok else b""
        visit.wheels[url] = "ok" if body[:4] == b"PK\x03\x04" else f"HTTP {response.status}"


_IMAGES = """() => Array.from(document.images).map(i => {
  const box = i.getBoundingClientRect();
  return {src: i.currentSrc.slice(0, 60), complete: i.complete, natural: i.naturalWidth,
          width: box.width, height: box.height, alt: i.getAttribute("alt")};
})"""
_NAV = """() => Array.from(document.querySelectorAll("nav.md-nav--primary a.md-nav__link"))
  .map(a => a.href)"""
# A table renders as one when its rows are table rows and a row's cells sit side by side.
_TABLES = """() => Array.from(document.querySelectorAll("article table")).map(t => {
  const last = t.rows[t.rows.length - 1];
  const lefts = last ? Array.from(last.cells).map(c => c.getBoundingClientRect().left) : [];
  return {caption: t.caption ? t.caption.innerText : "",
    head: Array.from(t.querySelectorAll("th")).map(th => th.innerText).join(" | "),
    rows: t.rows.length, cells: lefts.length,
    display: last ? getComputedStyle(last).display : "",
    side_by_side: lefts.every((left, i) => i === 0 || left > lefts[i - 1]),
    height: t.getBoundingClientRect().height};
})"""
_CHECKS = """() => Array.from(document.querySelectorAll("article div[style*='border-left']"))
  .filter(d => d.getBoundingClientRect().height > 0).map(d => d.innerText.split("\\n")[0])"""


def _lesson(visits: dict[str, Visit], name: str) -> Visit:
    return visits[f"notebooks/{name}/"]


def test_every_page_loads_without_console_errors(visits: dict[str, Visit]) -> None:
    pages = {"", "api/", *(f"notebooks/{n}/" for n in LESSONS), *(f"{g}/" for g in GUIDE)}
    assert pages <= set(visits), sorted(pages - set(visits))
    problems = [f"{v.url}: {p}" for v in visits.values() for p in v.problems]
    assert not problems, "\n".join(problems)


def test_every_image_loads_with_a_size_and_alt_text(visits: dict[str, Visit]) -> None:
    problems = [
        f"{visit.url}: {image}"
        for visit in visits.values()
        for image in visit.images
        if not (image["complete"] and image["natural"] > 0 and image["width"] > 0)
        or not (image["alt"] or "").strip()
    ]
    assert not problems, "\n".join(problems)
    diagrams = _lesson(visits, "05_graphs").images
    assert len(diagrams) >= 4, "notebook 5 draws four diagrams"
    assert all(image["alt"].startswith("Diagram of") for image in diagrams), diagrams


def test_the_navigation_reaches_every_lesson_and_guide_page(
    visits: dict[str, Visit], server: str
) -> None:
    pages = [f"notebooks/{n}/" for n in LESSONS] + [f"{g}/" for g in GUIDE] + ["api/"]
    for visit in visits.values():
        reached = {url.split("#")[0] for url in visit.nav}
        missing = [page for page in pages if f"{server}{page}" not in reached]
        assert not missing, f"{visit.url}: the navigation has no link to {missing}"


def test_summaries_render_as_tables(visits: dict[str, Visit]) -> None:
    tables = _lesson(visits, "03_mlp").tables
    summary = next(t for t in tables if t["caption"] == 'Model: "mlp"')
    assert summary["head"] == "Layer (type) | Output Shape | Param #"
    assert summary["display"] == "table-row"
    assert summary["side_by_side"]
    assert summary["rows"] >= 6
    assert summary["cells"] >= 3
    assert summary["height"] > 100
    explained = next(t for t in tables if t["caption"] == 'Parameters of "mlp"')
    assert explained["display"] == "table-row"
    assert explained["side_by_side"]
    assert explained["rows"] >= 6


def test_check_tables_and_results_render(visits: dict[str, Visit]) -> None:
    exercises = _lesson(visits, "07_exercises")
    checks = next(t for t in exercises.tables if t["head"].startswith("check | compares"))
    assert checks["display"] == "table-row"
    assert checks["side_by_side"]
    assert checks["rows"] >= 4
    assert any(text.startswith("✓ Passed") for text in exercises.checks)
    assert any(text.startswith("✗ 4 differences") for text in exercises.checks)


def test_set_up_cells_are_hidden(visits: dict[str, Visit]) -> None:
    shown = [visit.url for visit in visits.values() if not visit.hidden_setup]
    assert not shown, f"pages show the course's set-up cells: {shown}"


def test_the_install_lines_and_the_wheel_link_resolve(visits: dict[str, Visit]) -> None:
    """The front page links to the wheel; it and every lesson install it from the site."""
    front = visits[""]
    assert len(front.install_urls) == 1, front.install_urls
    wheel = front.install_urls[0]
    assert re.search(r"/dist/kerasguide-[^/]+-py3-none-any\.whl$", wheel), wheel
    assert any(url.endswith(wheel.rsplit("/", 1)[1]) for url in front.wheels if url != wheel)
    for name in LESSONS:
        assert _lesson(visits, name).install_urls == [wheel], name
    problems = [f"{v.url}: {url}: {got}" for v in visits.values() for url, got in v.wheels.items()]
    assert all(got == "ok" for v in visits.values() for got in v.wheels.values()), problems


def test_the_downloadable_notebooks_have_the_install_line(visits: dict[str, Visit]) -> None:
    import nbformat

    wheel = visits[""].install_urls[0]
    for name in LESSONS:
        notebook = nbformat.read(Path(str(SITE), "notebooks", name, f"{name}.ipynb"), 4)
        assert f"%pip install {wheel}" in notebook.cells[0].source, name


def test_the_interactive_view_works_in_its_lesson(server: str) -> None:
    """kg.view's output (inline SVG, CSS and script) survives mkdocs-jupyter: a box shows
    its details on hover, and a click opens a folded block (screenshots looked at)."""
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(server + "notebooks/05_graphs/", wait_until="load")
            view = page.locator(".kg-view")
            assert view.count() == 1, "notebook 5 ends with kg.view(mobilenet)"
            view.scroll_into_view_if_needed()
            view.locator('.kg-main [id="node:Conv1"]').hover()
            tip = view.locator(".kg-tip")
            assert tip.is_visible()
            assert "Conv1 (Conv2D)" in tip.inner_text()
            assert "filters: 32" in tip.inner_text()
            page.screenshot(path=SHOTS / "05_graphs-view-hover.png")
            runs = view.locator(".kg-main g.kg-opens")
            assert runs.count() >= 4  # MobileNetV2's runs of inverted residual blocks
            runs.nth(2).click()
            opened = view.locator(".kg-open.kg-shown")
            assert opened.count() == 1
            assert opened.locator('g[id^="frame:"]').count() >= 2  # its blocks, in frames
            page.screenshot(path=SHOTS / "05_graphs-view-opened.png")
            opened.locator(".kg-close").click()
            assert view.locator(".kg-open.kg-shown").count() == 0
        finally:
            browser.close()
    assert errors == []
