"""The built HTML book in headless Chromium, with no network beyond 127.0.0.1.

Run by `make browser` after `make book`: math is typeset, every chapter shows its
figures, the pre-rendered alpha slider changes the frame it shows, and no request
leaves the machine. Skipped when the book is not built, unless CAUSALREC_BROWSER=1
(CI), which turns a missing book or browser into a failure.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / os.environ.get("CAUSALREC_BOOK_HTML", "_build/html")
CHAPTERS = ["01_data", "02_scm_attention", "03_causal_discovery", "04_causalbooster", "05_baselines"]
REQUIRED = os.environ.get("CAUSALREC_BROWSER") == "1"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _require(condition: bool, why: str) -> None:
    if not condition:
        if REQUIRED:
            pytest.fail(why)
        pytest.skip(why)


@pytest.fixture(scope="module")
def server():
    _require((HTML / "index.html").exists(), f"book not built: {HTML / 'index.html'} (run make book)")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    _require(CHROMIUM is not None, "chromium is not installed (apt-get install chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture()
def page(browser, server):
    context = browser.new_context()
    page = context.new_page()
    outside: list[str] = []

    def guard(route) -> None:
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:", "about:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", guard)
    page.outside_requests = outside
    yield page
    context.close()


def _open(page, server, chapter: str) -> None:
    page.goto(f"{server}/notebooks/{chapter}.html", wait_until="load")
    page.wait_for_function("window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30000)
    page.evaluate("MathJax.startup.promise")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_renders_offline(page, server, chapter):
    _open(page, server, chapter)
    text = page.inner_text("main")
    assert "$$" not in text, "raw display math left untypeset"
    assert page.locator("mjx-container").count() > 0, "no typeset math on the page"
    images = page.locator(".cell_output img")
    assert images.count() > 0, "no figure in the chapter"
    widths = images.evaluate_all("els => els.map(e => e.complete ? e.naturalWidth : 0)")
    assert all(w > 0 for w in widths), f"figures that did not load: {widths}"
    assert page.outside_requests == [], f"requests left the machine: {page.outside_requests[:5]}"


def test_prerendered_alpha_slider_changes_frame(page, server):
    _open(page, server, "04_causalbooster")
    slider = page.locator("input.anim-slider").first
    assert slider.count() == 1, "no pre-rendered animation slider"
    frame = page.locator("img[id^='_anim_img']").first
    before = frame.get_attribute("src")
    slider.evaluate("el => { el.value = el.max; el.dispatchEvent(new Event('input')); }")
    after = frame.get_attribute("src")
    assert before and after and before != after, "moving the slider did not change the frame"
    assert page.outside_requests == []


def test_index_and_widgets_load_offline(page, server):
    page.goto(f"{server}/index.html")
    page.wait_for_url("**/book/intro.html")
    assert "CausalRec" in page.title()
    _open(page, server, "04_causalbooster")
    scripts = page.evaluate("Array.from(document.scripts).map(s => s.src).filter(Boolean)")
    assert any("vendor/html-manager/embed-amd.js" in s for s in scripts)
    assert any("vendor/mathjax/tex-chtml.js" in s for s in scripts)
    assert page.outside_requests == []
