"""The dashboard panel include and its charts (dashboard.js + vendored Chart.js).

The template tests render dashboards/includes/panel.html for fake panels. The
browser tests put rendered panels on a page that Playwright serves itself
(page.route, no server process), with the real static files and a strict
Content-Security-Policy, and drive Debian's chromium.

Playwright runs in a thread of its own here: the session-wide `browser` of
tests/e2e/conftest.py is out of reach of tests/dashboards/, and a second
sync Playwright in the same thread fails ("Sync API inside the asyncio loop")
when an xdist worker has already run an e2e test.
"""

import functools
import hashlib
import io
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from tests.e2e.conftest import CHROMIUM_FLAGS, chromium_path

ORIGIN = "http://campusdesk.test"
PANEL = "dashboards/includes/panel.html"
ASSETS = "dashboards/includes/assets.html"
VENDOR = Path(finders.find("dashboards/vendor/chart.js/chart.umd.min.js"))


def row(label, value, display_value, url="", numerator=None, denominator=None):
    return SimpleNamespace(
        label=label,
        value=value,
        display_value=display_value,
        url=url,
        numerator=numerator,
        denominator=denominator,
    )


def make_panel(**overrides):
    rows = overrides.pop(
        "rows",
        [
            row("CST", Decimal("82.0"), "82%", "/admin/att/?d=1", 1640, 2000),
            row("EEE", Decimal("64.5"), "64.5%", "/admin/att/?d=2", 129, 200),
            row("MEC", Decimal("91.2"), "91.2%", "", 912, 1000),
        ],
    )
    display = overrides.pop("display", "bar")
    unit = overrides.pop("unit", "%")
    title = overrides.pop("title", "Attendance rate by department")
    values = {
        "id": "panel-7",
        "title": title,
        "subtitle": "This week",
        "display": display,
        "unit": unit,
        "width": "medium",
        "total": Decimal("84.1"),
        "total_display": "84.1%",
        "total_url": "/admin/att/",
        "rows": rows,
        "chart_data": {
            "type": display,
            "labels": [r.label for r in rows],
            # Decimals on purpose: json_script writes them as strings.
            "values": [r.value for r in rows],
            "links": [r.url for r in rows],
            "unit": unit,
            "label": title,
        },
        "csv_url": "/admin/dash/1/panels/7.csv",
        "xlsx_url": "/admin/dash/1/panels/7.xlsx",
        "note": "",
        "empty": False,
        # As views.Panel.has_counts: any row with a numerator adds "x of y".
        "has_counts": any(r.numerator is not None for r in rows),
    }
    values.update(overrides)
    return SimpleNamespace(**values)


def render_panel(panel):
    return render_to_string(PANEL, {"panel": panel})


# The template ----------------------------------------------------------------


def test_chart_panel_renders_canvas_data_and_table():
    html = render_panel(make_panel(note="Date range does not apply."))

    assert '<section class="cd-panel cd-panel--medium cd-panel--bar"' in html
    assert 'aria-labelledby="panel-7-title"' in html
    assert 'id="panel-7-title">Attendance rate by department</h2>' in html
    assert (
        '<canvas id="panel-7-chart" data-chart="panel-7-data" role="img" '
        'aria-label="Attendance rate by department">' in html
    )
    data = re.search(
        r'<script id="panel-7-data" type="application/json">(.*?)</script>', html
    )
    assert data is not None
    assert json.loads(data.group(1))["links"] == [
        "/admin/att/?d=1",
        "/admin/att/?d=2",
        "",
    ]
    # Every <script> is data: nothing to allow in a Content-Security-Policy.
    assert re.findall(r"<script[^>]*>", html) == [
        '<script id="panel-7-data" type="application/json">'
    ]
    assert "<summary>Show the numbers</summary>" in html
    assert '<td class="cd-table__number"><a href="/admin/att/?d=1">82%</a></td>' in html
    assert '<td class="cd-table__number">91.2%</td>' in html
    assert "1,640 of 2,000" in html
    assert "Date range does not apply." in html
    assert 'href="/admin/dash/1/panels/7.csv"' in html
    assert 'href="/admin/dash/1/panels/7.xlsx"' in html
    assert 'data-chart-download="panel-7-chart"' in html


def test_table_panel_has_no_chart_and_no_count_column_without_numerators():
    panel = make_panel(
        display="table",
        unit="",
        rows=[row("Morning", 40, "40", "/m/"), row("Day", 12, "12")],
    )
    html = render_panel(panel)

    assert "<canvas" not in html
    assert "<details" not in html
    assert "data-chart-download" not in html
    assert '<th scope="row">Morning</th>' in html
    assert ">Count<" not in html
    assert " of " not in html


def test_card_panel_shows_the_number_and_the_rows_as_links():
    panel = make_panel(
        display="card",
        unit="",
        title="Admissions",
        total=55,
        total_display="55",
        total_url="/admin/admissions/",
        rows=[
            row("pending", 12, "12", "/admin/admissions/?s=pending"),
            row("approved", 40, "40", "/admin/admissions/?s=approved"),
            row("rejected", 3, "3"),
        ],
    )
    html = render_panel(panel)

    assert '<a href="/admin/admissions/" class="cd-card__number">55' in html
    assert (
        '<a href="/admin/admissions/?s=pending"><span class="cd-card__row-label">'
        'pending</span> <strong class="cd-card__row-value">12</strong></a>' in html
    )
    assert '<span class="cd-card__row-label">rejected</span>' in html
    assert "<canvas" not in html
    assert "<table" not in html
    assert "Download image" not in html


def test_empty_panel_says_so_and_draws_nothing():
    html = render_panel(make_panel(empty=True, rows=[]))

    assert "No records match these filters." in html
    assert "<canvas" not in html
    assert "<table" not in html
    assert "Download" not in html


def test_assets_are_local_static_files():
    css = render_to_string(ASSETS, {"part": "css"})
    js = render_to_string(ASSETS, {"part": "js"})

    assert '<link rel="stylesheet" href="/static/dashboards/css/dashboard.css">' in css
    assert "<script" not in css
    assert "<link" not in js
    scripts = re.findall(r'<script src="([^"]+)" defer></script>', js)
    assert scripts == [
        "/static/dashboards/vendor/chart.js/chart.umd.min.js",
        "/static/dashboards/js/dashboard.js",
    ]
    for url in scripts:
        assert finders.find(url.removeprefix(settings.STATIC_URL)) is not None


def test_vendored_chart_js_matches_its_readme():
    readme = (VENDOR.parent / "README.txt").read_text()
    digest = hashlib.sha256(VENDOR.read_bytes()).hexdigest()

    assert "Chart.js 4.5.1" in readme
    assert "https://registry.npmjs.org/chart.js/-/chart.js-4.5.1.tgz" in readme
    assert digest in readme
    assert VENDOR.read_text()[:60].count("Chart.js v4.5.1") == 1
    assert (VENDOR.parent / "LICENSE.md").exists()
    # Named by the file's sourceMappingURL; ManifestStaticFilesStorage needs it.
    assert (VENDOR.parent / "chart.umd.min.js.map").exists()


# In the browser --------------------------------------------------------------


def page_html(*panels, theme="w-theme-light"):
    return (
        f'<!doctype html><html lang="en" class="{theme}"><head><meta charset="utf-8">'
        "<title>Dashboard</title>"
        + render_to_string(ASSETS, {"part": "css"})
        + render_to_string(ASSETS, {"part": "js"})
        + '</head><body><div class="cd-grid">'
        + "".join(render_panel(panel) for panel in panels)
        + "</div></body></html>"
    )


class BrowserThread:
    """Debian's chromium, driven by a sync Playwright in a thread of its own."""

    def __init__(self, path):
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="chart-browser")
        self.run(self._start, path)

    def run(self, function, *args, **kwargs):
        return self.executor.submit(function, *args, **kwargs).result()

    def _start(self, path):
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch(
            executable_path=path, headless=True, args=CHROMIUM_FLAGS
        )

    def _stop(self):
        self.browser.close()
        self.playwright.stop()

    def close(self):
        self.run(self._stop)
        self.executor.shutdown()


@pytest.fixture(scope="module")
def browser_thread():
    path = chromium_path()
    if path is None:
        message = (
            "Browser tests need Debian's chromium: run `apt-get install chromium` "
            "(or set CAMPUSDESK_CHROMIUM to a Chromium binary) to enable them."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    thread = BrowserThread(path)
    yield thread
    thread.close()


def in_browser_thread(test):
    """Run the test's body where its Playwright objects live."""

    @functools.wraps(test)
    def wrapper(**kwargs):
        return kwargs["dashboard"].thread.run(test, **kwargs)

    return wrapper


@pytest.fixture
def dashboard(browser_thread):
    """Open a page of panels; navigation to any other URL lands on a stub."""
    context, page = browser_thread.run(new_page, browser_thread.browser)
    visited = []
    document = {}

    def serve(route):
        url = route.request.url
        path = url.removeprefix(ORIGIN)
        if path.startswith(settings.STATIC_URL):
            found = finders.find(path.removeprefix(settings.STATIC_URL))
            if found is None:
                return route.fulfill(status=404)
            content_type = "text/css" if found.endswith(".css") else "text/javascript"
            return route.fulfill(path=found, content_type=content_type)
        if path == "/dashboard/":
            return route.fulfill(
                body=document["html"],
                content_type="text/html",
                # Only our own files may run: no inline script, no CDN.
                headers={"Content-Security-Policy": "script-src 'self'"},
            )
        visited.append(path)
        return route.fulfill(body="<p>listing</p>", content_type="text/html")

    errors = []

    def listen():
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                errors.append(message.text) if message.type == "error" else None
            ),
        )
        page.route(f"{ORIGIN}/**", serve)

    browser_thread.run(listen)

    def open_(*panels, theme="w-theme-light"):
        document["html"] = page_html(*panels, theme=theme)
        page.goto(f"{ORIGIN}/dashboard/")
        # A function, not an expression: Playwright would eval() an expression,
        # which the page's Content-Security-Policy forbids. Timed polling: a
        # busy machine may starve requestAnimationFrame.
        page.wait_for_function(
            "() => Object.keys(window.campusdeskCharts?.byId || {}).length",
            polling=100,
        )
        return page

    open_.thread = browser_thread
    open_.page = page
    open_.visited = visited
    yield open_
    browser_thread.run(context.close)
    assert errors == []


def new_page(browser):
    context = browser.new_context(locale="en-GB", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


def bar_colour(page, canvas_id="panel-7-chart"):
    """The colour a bar is drawn in (not just the one asked for)."""
    return page.evaluate(
        "id => window.campusdeskCharts.byId[id].getDatasetMeta(0)"
        ".data[0].options.backgroundColor",
        canvas_id,
    )


def element_centre(page, canvas_id, index):
    """Where element `index` of the chart's first dataset is, in page pixels."""
    return page.evaluate(
        """([id, index]) => {
            const chart = window.campusdeskCharts.byId[id];
            const point = chart.getDatasetMeta(0).data[index].getCenterPoint(true);
            const box = chart.canvas.getBoundingClientRect();
            return {x: box.left + point.x, y: box.top + point.y};
        }""",
        [canvas_id, index],
    )


@pytest.mark.e2e
@pytest.mark.parametrize("display", ["bar", "hbar", "line", "doughnut"])
@in_browser_thread
def test_clicking_an_element_opens_its_listing(dashboard, display):
    page = dashboard(make_panel(display=display))

    chart = page.evaluate(
        """() => {
            const chart = window.campusdeskCharts.byId["panel-7-chart"];
            return {
                type: chart.config.type,
                indexAxis: chart.options.indexAxis,
                count: chart.getDatasetMeta(0).data.length,
                values: chart.data.datasets[0].data,
            };
        }"""
    )
    assert chart["type"] == ("bar" if display == "hbar" else display)
    assert chart["count"] == 3
    assert chart["values"] == [82, 64.5, 91.2]
    if display in ("bar", "hbar"):
        assert chart["indexAxis"] == ("y" if display == "hbar" else "x")

    centre = element_centre(page, "panel-7-chart", 1)
    page.mouse.move(centre["x"], centre["y"])
    assert page.eval_on_selector("#panel-7-chart", "c => c.style.cursor") == "pointer"
    page.mouse.click(centre["x"], centre["y"])
    page.wait_for_url(f"{ORIGIN}/admin/att/?d=2")
    assert dashboard.visited == ["/admin/att/?d=2"]


@pytest.mark.e2e
@in_browser_thread
def test_an_element_without_a_link_goes_nowhere(dashboard):
    page = dashboard(make_panel())

    centre = element_centre(page, "panel-7-chart", 2)
    page.mouse.move(centre["x"], centre["y"])
    assert page.eval_on_selector("#panel-7-chart", "c => c.style.cursor") == "default"
    page.mouse.click(centre["x"], centre["y"])
    page.wait_for_timeout(300)
    assert page.url == f"{ORIGIN}/dashboard/"
    assert dashboard.visited == []


@pytest.mark.e2e
@in_browser_thread
def test_percent_axis_and_tooltip_show_the_unit(dashboard):
    page = dashboard(make_panel())

    result = page.evaluate(
        """() => {
            const chart = window.campusdeskCharts.byId["panel-7-chart"];
            const label = chart.options.plugins.tooltip.callbacks.label;
            return {
                min: chart.scales.y.min,
                max: chart.scales.y.max,
                tick: chart.scales.y.ticks.at(-1).label,
                tooltip: label.call(chart.tooltip, {dataIndex: 1}),
                height: chart.height,
                responsive: chart.options.maintainAspectRatio,
            };
        }"""
    )
    assert (result["min"], result["max"]) == (0, 100)
    assert result["tick"] == "100%"
    assert result["tooltip"] == "Attendance rate by department: 64.5%"
    assert result["height"] > 100
    assert result["responsive"] is False


@pytest.mark.e2e
@in_browser_thread
def test_table_holds_the_rows_behind_show_the_numbers(dashboard):
    page = dashboard(make_panel())

    table = page.get_by_role("table", name="Attendance rate by department")
    assert not table.is_visible()
    page.get_by_text("Show the numbers").click()
    assert table.is_visible()
    rows = table.locator("tbody tr")
    assert rows.all_inner_texts() == [
        "CST\t82%\t1,640 of 2,000",
        "EEE\t64.5%\t129 of 200",
        "MEC\t91.2%\t912 of 1,000",
    ]
    table.get_by_role("link", name="64.5%").click()
    page.wait_for_url(f"{ORIGIN}/admin/att/?d=2")


@pytest.mark.e2e
@in_browser_thread
def test_download_image_saves_a_png_on_white(dashboard, tmp_path):
    from PIL import Image

    page = dashboard(make_panel())

    button = page.get_by_role("button", name="Download image: Attendance rate")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "attendance-rate-by-department.png"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    image = Image.open(io.BytesIO(target.read_bytes()))
    assert image.format == "PNG"
    assert image.convert("RGBA").getpixel((1, 1)) == (255, 255, 255, 255)
    # The page's chart is back to normal: transparent, without the title.
    still = page.evaluate(
        """() => {
            const chart = window.campusdeskCharts.byId["panel-7-chart"];
            const pixel = chart.ctx.getImageData(1, 1, 1, 1).data;
            return {alpha: pixel[3], title: chart.options.plugins.title.display};
        }"""
    )
    assert still == {"alpha": 0, "title": False}
    assert bar_colour(page) == "#007d7e"


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("theme", "scheme", "colour"),
    [
        ("w-theme-light", "dark", "#007d7e"),
        ("w-theme-dark", "light", "#4fc9c4"),
        ("w-theme-system", "light", "#007d7e"),
        ("w-theme-system", "dark", "#4fc9c4"),
    ],
)
@in_browser_thread
def test_charts_follow_the_admin_theme(dashboard, theme, scheme, colour):
    dashboard.page.emulate_media(color_scheme=scheme)
    page = dashboard(make_panel(), theme=theme)

    assert bar_colour(page) == colour
    assert (
        page.evaluate(
            "() => window.campusdeskCharts.byId['panel-7-chart'].options.plugins.colors.enabled"
        )
        is False
    )


@pytest.mark.e2e
@in_browser_thread
def test_panels_sit_side_by_side_and_stack_on_a_phone(dashboard):
    small = make_panel(id="a", width="small", display="card", rows=[])
    medium = make_panel(id="b", width="medium")
    large = make_panel(id="c", width="large", display="line")
    page = dashboard(small, medium, large)

    def boxes():
        return [
            page.locator(f"section[aria-labelledby='{name}-title']").bounding_box()
            for name in "abc"
        ]

    page.set_viewport_size({"width": 1400, "height": 900})
    a, b, c = boxes()
    assert a["y"] == b["y"] and a["width"] < b["width"]
    assert c["y"] > a["y"] and c["width"] > b["width"] * 1.8

    page.set_viewport_size({"width": 400, "height": 900})
    a, b, c = boxes()
    assert a["y"] < b["y"] < c["y"]
    assert a["width"] == b["width"] == c["width"]
    # The chart followed its narrower container.
    width = "() => window.campusdeskCharts.byId['b-chart'].width"
    for _ in range(50):
        if page.evaluate(width) < 400:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(width) < 400, page.evaluate(
        "() => [document.documentElement.clientWidth,"
        " window.campusdeskCharts.byId['b-chart'].canvas.parentElement.clientWidth]"
    )
