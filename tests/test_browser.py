"""The built docs and the reports, opened as a reader would: headless Chromium, no network.

Fails if an equation is left as raw LaTeX, an image is missing or broken, a page logs a
console error or asks the network for anything; and, at 1024 and 1400 px, if a report has an
element wider than the page or a figure shown so small that its text is smaller than the body
text. Screenshots are kept in the build folder (CI artefacts).

Runs only where Chromium, its driver and selenium are installed (``apt-get install chromium
chromium-driver``, ``pip install ".[docs]"``), and with ``-m slow``: it builds the docs unless
``NPLEARN_DOCS_HTML`` names a built site (``.ci/run`` builds it first)::

    NPLEARN_DOCS_HTML=docs/_build/html python -m pytest -m slow tests/test_browser.py

Screenshots and the reports go to ``NPLEARN_BROWSER_OUT`` (default: ``browser/`` beside the
built site, e.g. ``docs/_build/browser/``).
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from nplearn.plot.style import DPI, MIN_FONT_PT

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--hide-scrollbars"]
WIDTHS = (1024, 1400)
LOCAL = ("file:", "data:", "blob:", "about:", "chrome:", "devtools:")

try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:            # pragma: no cover - depends on the environment
    webdriver = None

_why = ("Chromium not installed (apt-get install chromium chromium-driver)"
        if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()) else
        "selenium not installed (pip install \".[docs]\")" if webdriver is None else None)
pytestmark = [pytest.mark.slow, pytest.mark.skipif(_why is not None, reason=_why or "")]

# What a page looks like to a reader, measured in the page (one script, run after MathJax).
PROBE = r"""
const out = {math: 0, unrendered: [], mathErrors: 0, literal: [], raw: [], images: 0,
             broken: []};
document.querySelectorAll('.math').forEach(el => {
  out.math += 1;
  if (!el.querySelector('mjx-container') && !el.closest('mjx-container'))
    out.unrendered.push(el.textContent.trim().slice(0, 80));
});
out.mathErrors = document.querySelectorAll('mjx-merror').length;
out.literal = Array.from(document.querySelectorAll('mjx-container'))   // e.g. \text{fan\_in}
  .filter(el => el.textContent.includes('\\')).map(el => el.textContent.slice(0, 80));
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
const raw = /\\\(|\\\[|\$\$|\\begin\{|\\frac\{|\\odot/;
for (let n = walker.nextNode(); n; n = walker.nextNode()) {
  if (n.parentElement.closest('pre, code, script, style, mjx-container, textarea, .highlight'))
    continue;
  if (raw.test(n.textContent)) out.raw.push(n.textContent.trim().slice(0, 80));
}
document.querySelectorAll('img').forEach(img => {
  out.images += 1;
  if (!img.complete || img.naturalWidth === 0)
    out.broken.push(img.getAttribute('src').slice(0, 80));
});
return out;
"""

# Layout at the current width: elements past the right edge, and figures shown small.
LAYOUT = r"""
const width = document.documentElement.clientWidth;
const body = parseFloat(getComputedStyle(document.body).fontSize);
const out = {width: width, scrollWidth: document.documentElement.scrollWidth, body: body,
             wide: [], small: []};
document.querySelectorAll('body *').forEach(el => {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > width + 1)
    out.wide.push(`${el.tagName.toLowerCase()}${el.className ? '.' + el.className : ''} ` +
                  `right edge ${Math.round(r.right)} px: ${el.textContent.trim().slice(0, 40)}`);
});
document.querySelectorAll('figure img').forEach(img => {
  const scale = img.getBoundingClientRect().width / img.naturalWidth;
  const text = scale * arguments[0];
  if (text < body - 0.25)
    out.small.push(`${img.alt}: ${img.naturalWidth} px shown at ` +
                   `${Math.round(img.getBoundingClientRect().width)} px, its text ` +
                   `${text.toFixed(1)} px < ${body} px body text`);
});
return out;
"""
FIGURE_TEXT_PX = MIN_FONT_PT / 72 * DPI    # the smallest figure text, in PNG pixels


# ------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def out_dir():
    html = _docs_html_or_none()
    default = (html.parent / "browser") if html else ROOT / "docs" / "_build" / "browser"
    out = Path(os.environ.get("NPLEARN_BROWSER_OUT", default))
    (out / "screenshots").mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="module")
def docs_html(tmp_path_factory):
    html = _docs_html_or_none()
    if html is not None:
        return html
    pytest.importorskip("sphinx", reason="the docs need the docs extra: pip install \".[docs]\"")
    html = tmp_path_factory.mktemp("docs") / "html"
    env = {**os.environ, "FAST": "1"}
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b",
                           "html", str(ROOT / "docs"), str(html)], env=env, capture_output=True,
                          text=True, timeout=3000)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return html


@pytest.fixture(scope="module")
def browser():
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="nplearn-chromium-")
    for flag in FLAGS + [f"--user-data-dir={profile}", "--window-size=1400,1000"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {    # no network at all
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def reports(out_dir):
    """A small compare report and a small reproduced table, written into ``out_dir``."""
    from nplearn.experiments import compare
    from nplearn.experiments.reproduce import reproduce
    from nplearn.experiments.trace import trace
    compare("digits", rules=["bp", "fa", "dfa", "pepita", "sigprop"], seeds=(0, 1), epochs=3,
            hidden_sizes=(32, 32), embed="pca", embed_samples=200, progress=False,
            out_dir=out_dir / "compare")
    reproduce("bfa-table1", seeds=1, epochs=2, out_dir=out_dir / "reproduce", progress=False)
    trace("dfa", out_dir=out_dir / "trace")
    return {"compare": out_dir / "compare" / "report.html",
            "reproduce": out_dir / "reproduce" / "report.html",
            "trace": out_dir / "trace" / "trace.html"}


# ---------------------------------------------------------------------------------- tests
def test_every_docs_page_renders_offline(browser, docs_html, out_dir):
    pages = sorted(p for p in docs_html.rglob("*.html")
                   if "_modules" not in p.parts and "_static" not in p.parts)
    assert len(pages) > 10, f"only {len(pages)} pages in {docs_html}"
    problems, n_math = {}, 0
    for page in pages:
        found = inspect(browser, page)
        n_math += found["math"]
        if found["problems"]:
            problems[str(page.relative_to(docs_html))] = found["problems"]
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
    assert n_math > 100, f"only {n_math} equations in the whole site"
    for name, page in (("rule_dfa", "rules/dfa.html"),
                       ("tutorial_01", "tutorials/01_feedback_alignment.html"),
                       ("tutorial_06", "tutorials/06_sigprop.html")):
        inspect(browser, docs_html / page)
        screenshot(browser, out_dir / "screenshots" / f"docs_{name}.png", 1400)


@pytest.mark.parametrize("which", ["compare", "reproduce", "trace"])
def test_reports_fit_the_page_at_1024_and_1400(browser, reports, out_dir, which):
    page = reports[which]
    found = inspect(browser, page)
    assert not found["problems"], found["problems"]
    assert found["images"] >= 1
    for width in WIDTHS:
        browser.set_window_size(width, 1000)
        layout = browser.execute_script(LAYOUT, FIGURE_TEXT_PX)
        assert layout["width"] >= width - 20, layout                  # the window is that wide
        assert layout["scrollWidth"] <= layout["width"], layout["wide"][:10]
        assert not layout["wide"], layout["wide"][:10]
        assert not layout["small"], layout["small"]
        screenshot(browser, out_dir / "screenshots" / f"{which}_{width}.png", width)


def test_the_check_fails_without_the_mathjax_assets(browser, docs_html, tmp_path):
    """A copy of a rule page whose _static/mathjax is removed: raw LaTeX and a console error."""
    site = tmp_path / "site"
    shutil.copytree(docs_html / "_static", site / "_static",
                    ignore=shutil.ignore_patterns("mathjax"))
    (site / "rules").mkdir()
    shutil.copy(docs_html / "rules" / "dfa.html", site / "rules" / "dfa.html")
    found = inspect(browser, site / "rules" / "dfa.html", wait_mathjax=2)
    kinds = {p.split(":")[0] for p in found["problems"]}
    assert "unrendered equations" in kinds and "console errors" in kinds, found["problems"]


# -------------------------------------------------------------------------------- helpers
def inspect(driver, path, wait_mathjax=20):
    """Open ``path`` offline and list what a reader would see wrong with it."""
    driver.get_log("browser"), driver.get_log("performance")        # drop older entries
    driver.set_window_size(1400, 1000)
    driver.get(Path(path).resolve().as_uri())
    driver.set_script_timeout(wait_mathjax + 5)
    driver.execute_async_script("""
        const done = arguments[arguments.length - 1], until = Date.now() + arguments[0] * 1000;
        (function wait() {
          const mj = window.MathJax;
          if (mj && mj.startup && mj.startup.promise) {
            mj.startup.promise.then(() => done(true), () => done(false));
          } else if (document.readyState === 'complete' && !document.querySelector('.math')) {
            done(true);
          } else if (Date.now() > until) { done(false); } else { setTimeout(wait, 100); }
        })();""", wait_mathjax)
    found = driver.execute_script(PROBE)
    problems = []
    if found["unrendered"]:
        problems.append(f"unrendered equations: {len(found['unrendered'])} of {found['math']}, "
                        f"e.g. {found['unrendered'][0]!r}")
    if found["mathErrors"]:
        problems.append(f"MathJax errors: {found['mathErrors']}")
    if found["literal"]:
        problems.append(f"a backslash shown in rendered math: {found['literal'][:3]}")
    if found["raw"]:
        problems.append(f"raw LaTeX in the text: {found['raw'][:3]}")
    if found["broken"]:
        problems.append(f"broken images: {found['broken'][:5]}")
    errors = [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    if errors:
        problems.append(f"console errors: {errors[:5]}")
    remote = [url for url in _requested(driver) if not url.startswith(LOCAL)]
    if remote:
        problems.append(f"network requests: {remote[:5]}")
    return {**found, "problems": problems}


def screenshot(driver, path, width):
    """The whole page at ``width`` px (at most 12 000 px tall) as a PNG."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(int(height) + 20, 12000))
    driver.save_screenshot(str(path))
    driver.set_window_size(width, 1000)
    assert path.is_file() and path.stat().st_size > 10_000


def _requested(driver):
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            yield msg["params"]["request"]["url"]


def _docs_html_or_none():
    html = os.environ.get("NPLEARN_DOCS_HTML")
    if not html:
        return None
    html = Path(html)
    if not (html / "index.html").is_file():
        pytest.fail(f"NPLEARN_DOCS_HTML={html} has no index.html; build the docs first")
    return html.resolve()
