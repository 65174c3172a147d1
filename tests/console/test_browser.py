"""What a person sees in the console, in a real headless Chromium (the operating system's package, driven by
Playwright; nothing downloads a browser). Set PERSONALIZE_EMULATOR_SCREENSHOTS=docs to refresh the README's
screenshots of each page."""

import os
import pathlib
import tempfile
import time
import urllib.parse

import boto3
import pytest

from emulator.pytest_plugin import EmulatorProcess

sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests need Playwright for Python: "
                               "pip install playwright (its browser download is not needed: apt-get install chromium)")
CHROMIUM = os.environ.get("PERSONALIZE_EMULATOR_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("PERSONALIZE_EMULATOR_SCREENSHOTS")
VIEWPORT = {"width": 1280, "height": 800}
SECONDS = 30_000   # Playwright's waits, in milliseconds


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: apt-get install chromium (Debian), or point "
                    "PERSONALIZE_EMULATOR_CHROMIUM at one")
    with sync_api.sync_playwright() as playwright:
        # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    """A fresh tab; the test fails if the page throws."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(SECONDS)
    tab = context.new_page()
    errors: list = []
    tab.on("pageerror", lambda error: errors.append(error))
    yield tab
    context.close()
    assert not errors, f"the page threw: {errors}"


def at(console: str, group: str, tab: str = "overview", arg: str | None = None) -> str:
    parts = [group, tab] + ([arg] if arg else [])
    return console + "#/group/" + "/".join(urllib.parse.quote(part, safe="") for part in parts)


def snap(page, name: str, full_page: bool = False) -> None:
    """A screenshot for the README, when asked for (shrink with pngquant before committing)."""
    if SCREENSHOTS:
        pathlib.Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=f"{SCREENSHOTS}/console-{name}.png", full_page=full_page)


def rows(page, selector: str) -> list[str]:
    return page.locator(selector).evaluate_all("found => found.map(row => row.dataset.item || row.dataset.arn)")


def test_the_group_appears_with_its_datasets_and_resources(page, console, shop):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(console)
    page.locator(f'table.groups tr[data-arn="{shop["group"]}"]').wait_for()
    snap(page, "home")
    page.click(f'table.groups tr[data-arn="{shop["group"]}"] button.copy')
    assert page.evaluate("navigator.clipboard.readText()") == shop["group"]
    page.click(f'table.groups a:text-is("{shop["name"]}")')
    page.locator("h1", has_text=shop["name"]).wait_for()
    interactions = page.locator(f'tr[data-arn="{shop["interactions"]}"]')
    assert "INTERACTIONS" in interactions.inner_text() and f"{shop['rows']:,}" in interactions.inner_text()
    assert page.locator(f'tr[data-arn="{shop["filter"]}"]').inner_text().count("$GENRE") == 1
    assert page.locator(f'tr[data-arn="{shop["version"]}"]').is_visible()
    snap(page, "overview")


def test_a_training_curve_gains_points_while_the_version_trains(page, console, shop):
    if shop["watch"].done.is_set():
        pytest.skip("the training ended before this test opened the page (run the console tests together, "
                    "browser tests first, as pytest orders them)")
    page.goto(at(console, shop["group"], "training", shop["version"]))
    points, deadline = [], time.monotonic() + 900
    while time.monotonic() < deadline:
        live = page.locator('[data-card="left"]').count() > 0
        count = page.locator('[data-curve="ndcg"] circle.point').count()
        if live:
            if count > max(points, default=1):
                snap(page, "training")   # the latest epoch seen live
            points.append(count)
        elif page.locator(".summary .badge", has_text="ACTIVE").count():
            break
        time.sleep(0.25)
    assert points and max(points) > min(points), f"points seen while training: {points}"
    assert page.locator('[data-curve="ndcg"] circle.point').count() >= max(points)   # kept once it is done
    assert page.locator('[data-curve="loss"] circle.point').count() >= max(points)


def test_the_data_page_shows_the_interactions_and_their_distributions(page, console, shop):
    page.goto(at(console, shop["group"], "data"))
    page.locator("svg.chart rect.bar").first.wait_for()
    cards = page.locator(".cards").inner_text()
    assert f"{shop['rows']:,}" in cards and "80" in cards
    assert "purchase" in page.locator("section", has_text="Event types").inner_text()
    page.locator("section", has_text="Long tail").locator("circle.point").first.wait_for()
    snap(page, "data", full_page=True)
    page.click(".subtabs a:text-is('ITEMS')")
    page.locator("section", has_text="GENRE: most common values").wait_for()


def test_the_metrics_chart_lists_both_versions(page, console, shop, shop_campaign):
    page.goto(at(console, shop["group"], "metrics"))
    legend = page.locator(".legend .legend-item")
    legend.nth(1).wait_for()
    names = legend.all_inner_texts()
    assert any(shop["version"].split("/")[-1] in name for name in names)
    assert any(shop["popular"].split("/")[-1] in name for name in names)
    assert page.locator(f'table.metrics tr[data-arn="{shop["version"]}"] td.num').count() >= 8
    snap(page, "metrics")


def test_try_it_returns_items_and_the_list_changes_after_an_event(page, console, shop, shop_campaign):
    page.goto(at(console, shop["group"], "try", shop_campaign))
    page.fill("#user-id", "browser-visitor")
    page.click("#ask")
    page.locator("table.results tbody tr").nth(9).wait_for()
    before = rows(page, "table.results tbody tr")
    assert len(before) == 10 and page.locator("table.results th", has_text="GENRE").count() == 1
    for item in ("b1", "b2", "b3"):
        page.fill("#event-item", item)
        page.click("#send-event")
        page.locator("#event-note", has_text=f"on {item}").wait_for()
    page.locator("#change-note").wait_for()
    after = rows(page, "table.results tbody tr")
    assert after != before
    snap(page, "try")


def test_a_failed_import_shows_its_reason(page, console, failed_import):
    page.goto(at(console, failed_import["group"]))
    failure = page.locator(f'tr[data-arn="{failed_import["dataset"]}"] .failure')
    failure.wait_for()
    assert failure.inner_text() == failed_import["reason"]


def test_deleting_a_solution_that_a_campaign_serves_shows_the_services_refusal(page, console, shop, shop_campaign):
    page.goto(at(console, shop["group"]))
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(f'tr[data-arn="{shop["solution"]}"] button[data-action="delete"]')
    refusal = page.locator(".notices .message.error")
    refusal.wait_for()
    assert "ResourceInUseException" in refusal.inner_text() and shop_campaign in refusal.inner_text()


def test_reset_everything_asks_first_then_empties_the_console(page):
    with tempfile.TemporaryDirectory(prefix="console-reset-") as data_dir:
        server = EmulatorProcess(pathlib.Path(data_dir), "--status-seconds", "0.1")
        try:
            client = boto3.client("personalize", endpoint_url=server.endpoint, region_name="us-east-1",
                                  aws_access_key_id="test", aws_secret_access_key="test")
            client.create_dataset_group(name="kept-until-reset")
            page.goto(f"{server.endpoint}/_emulator/console/")
            page.locator("table.groups a", has_text="kept-until-reset").wait_for()
            page.once("dialog", lambda dialog: dialog.dismiss())
            page.click("#reset")
            assert page.locator("table.groups a", has_text="kept-until-reset").is_visible()
            page.once("dialog", lambda dialog: dialog.accept())
            page.click("#reset")
            page.locator("text=No dataset group yet").wait_for()
            assert client.list_dataset_groups()["datasetGroups"] == []
        finally:
            server.stop()
