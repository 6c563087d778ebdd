"""kg.view: the interactive diagram, as HTML that needs nothing from the network, and in
headless Chromium (Playwright): hovering shows a layer's details and spec entry, a click
opens a folded block, the buttons zoom. Screenshots go to build/view-shots/ and were
looked at."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
from tests import models

pytestmark = pytest.mark.slow  # see pyproject.toml: make unit leaves it to make test

SHOTS = Path(__file__).resolve().parents[1] / "build" / "view-shots"
CHROMIUM = next(
    filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome"))),
    None,
)


def info(view: kg.ModelView) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" class="kg-info">(.*?)</script>', view.html)
    assert found is not None
    data: dict[str, Any] = json.loads(found.group(1))
    return data["boxes"]


def test_view_is_inline_html_with_nothing_to_fetch() -> None:
    view = kg.view(models.residual_unnamed(), fold="blocks")
    assert view._repr_html_() == view.html
    assert "<script src" not in view.html
    assert "<link" not in view.html
    urls = set(re.findall(r"https?://[^\s\"')]+", view.html))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # namespaces
    assert str(view).startswith("Interactive diagram of residual_unnamed:")
    assert view.opened == 1


def test_hover_details_are_the_layers_own() -> None:
    model = models.residual_unnamed()
    boxes = info(kg.view(model, fold="blocks"))
    conv = boxes["conv2d"]
    assert conv["title"] == "conv2d (Conv2D)"
    assert conv["rows"] == ["input: (None, 8, 8, 3)", "output: (None, 8, 8, 16)", "parameters: 448"]
    assert "type: Conv2D" in conv["config"]
    assert "filters: 16" in conv["config"]
    [run] = [box for box in boxes.values() if box["open"] is not None]
    assert run["rows"][0] == "blocks: 3×A"
    assert run["rows"][2] == "14,112 parameters in 15 layers"


def test_saved_view_is_a_page(tmp_path: Path) -> None:
    view = kg.view(models.seed_mlp())
    view.save(tmp_path / "mlp.html")
    text = (tmp_path / "mlp.html").read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert view.html in text
    with pytest.raises(kg.OptionError, match=r"saved as an HTML page[\s\S]*received: '.png'"):
        view.save(tmp_path / "mlp.png")


def test_bad_options_are_named() -> None:
    with pytest.raises(kg.OptionError, match=r"view\(fold=...\): unknown fold"):
        kg.view(models.seed_mlp(), fold="blocs")
    with pytest.raises(kg.OptionError, match=r"view\(rankdir=...\)"):
        kg.view(models.seed_mlp(), rankdir="BT")


def view_box(svg: Any) -> list[float]:
    return [float(value) for value in str(svg.get_attribute("viewBox")).split()]


@pytest.mark.skipif(CHROMIUM is None, reason="needs Chromium (apt-get install chromium)")
def test_view_in_chromium_hovers_opens_and_zooms(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "view.html"
    kg.view(models.residual_unnamed(), fold="blocks").save(page_file)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(page_file.as_uri())
        tip = page.locator(".kg-tip")
        page.locator('.kg-main [id="node:conv2d"]').hover()
        assert tip.is_visible()
        assert "conv2d (Conv2D)" in tip.inner_text()
        assert "filters: 16" in tip.inner_text()
        page.screenshot(path=str(SHOTS / "hover.png"))
        svg = page.locator(".kg-main svg")
        before = view_box(svg)
        page.locator(".kg-in").click()
        assert view_box(svg)[2] < before[2] * 0.75  # zoomed in: a smaller part shown
        page.locator(".kg-fit").click()
        assert view_box(svg) == pytest.approx(before)
        page.locator(".kg-main g.kg-opens").first.click()
        opened = page.locator(".kg-open.kg-shown")
        assert opened.count() == 1
        assert opened.locator('g[id^="frame:"]').count() == 3  # the run's three blocks
        page.screenshot(path=str(SHOTS / "opened.png"))
        opened.locator(".kg-close").click()
        assert page.locator(".kg-open.kg-shown").count() == 0
        browser.close()
    assert errors == []
