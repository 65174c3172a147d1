"""The console's JSON endpoints over plain HTTP: what each page reads, and the actions' rules."""

import urllib.parse
import urllib.request

import pytest

from tests.console.conftest import get_json, post_json


def api(console: str, path: str, **params) -> str:
    return f"{console}api/{path}" + ("?" + urllib.parse.urlencode(params) if params else "")


def find(nodes: list[dict], arn: str) -> dict | None:
    for node in nodes:
        if node["arn"] == arn:
            return node
        found = find(node["children"], arn)
        if found:
            return found
    return None


def test_health_links_the_console_and_the_page_loads_its_own_assets(personalize_endpoint, console):
    assert get_json(f"{personalize_endpoint}/_emulator/health")["console"].endswith("/_emulator/console/")
    with urllib.request.urlopen(console) as page:
        html = page.read().decode()
    assert "static/js/main.js" in html and "http://" not in html and "https://" not in html   # nothing from a CDN
    with urllib.request.urlopen(console + "static/js/main.js") as script:
        assert "javascript" in script.headers["Content-Type"]


def test_overview_nests_the_groups_resources_with_record_counts(console, shop):
    overview = get_json(api(console, "overview"))
    group = find(overview["groups"], shop["group"])
    assert group["status"] == "ACTIVE"
    interactions, items = find([group], shop["interactions"]), find([group], shop["items"])
    assert interactions["rows"] >= shop["rows"] and items["rows"] == 100   # other tests add events through PutEvents
    assert find([group], shop["version"])["kind"] == "solution-version"
    assert find([group], shop["filter"])["record"]["filterExpression"].startswith("INCLUDE")


def test_overview_shows_a_failed_imports_reason(console, failed_import):
    overview = get_json(api(console, "overview"))
    job = find(overview["groups"], failed_import["job"])
    assert job["status"] == "CREATE FAILED"
    assert job["record"]["failureReason"] == failed_import["reason"] and "TIMESTAMP" in failed_import["reason"]


def test_dataset_statistics_add_up_to_the_imported_rows(console, shop):
    found = get_json(api(console, "dataset", arn=shop["interactions"]))
    assert found["count"] >= shop["rows"] and found["users"] >= 80   # other tests add events through PutEvents
    assert sum(day["count"] for day in found["perDay"]) == found["count"]
    assert {"click", "purchase"} <= {row["eventType"] for row in found["eventTypes"]}
    assert sum(bin_["count"] for bin_ in found["perUser"]) == found["users"]
    assert found["itemShares"][-1]["interactions"] == 100
    assert len(found["sample"]) == 20 and found["topItems"][0]["count"] >= found["topItems"][-1]["count"]
    items = get_json(api(console, "dataset", arn=shop["items"]))
    assert items["count"] == 100 and {row["value"] for row in items["categoricalValues"]["GENRE"]} == {"comedy", "drama"}


def test_training_curve_gains_epochs_while_training_and_is_kept_after(console, shop, shop_campaign):
    shop["watch"].done.wait(60)
    seen = shop["watch"].seen_while_training
    assert seen and max(seen) > min(seen), f"epoch counts seen while training: {seen}"
    kept = get_json(api(console, "training", arn=shop["version"]))
    assert not kept["training"] and kept["status"] == "ACTIVE"
    assert len(kept["epochs"]) >= max(seen) and all(point["ndcg"] is not None for point in kept["epochs"])


def test_metrics_list_every_version_of_the_group(console, shop, shop_campaign):
    found = get_json(api(console, "metrics", group=shop["group"]))
    by_arn = {model["arn"]: model for model in found["models"]}
    assert by_arn[shop["version"]]["recipe"] == "aws-user-personalization"
    assert by_arn[shop["popular"]]["recipe"] == "aws-popularity-count"
    assert "normalized_discounted_cumulative_gain_at_25" in found["keys"]
    assert by_arn[shop["version"]]["metrics"] and by_arn[shop["popular"]]["metrics"]


def test_try_returns_items_with_their_records_and_an_event_changes_them(console, shop, shop_campaign):
    ask = {"operation": "GetRecommendations", "params": {"campaignArn": shop_campaign, "userId": "console-new",
                                                         "numResults": 10}}
    status, before = post_json(api(console, "try"), ask)
    assert status == 200 and len(before["itemList"]) == 10
    first = before["itemList"][0]["itemId"]
    assert before["itemRecords"][first]["GENRE"] in ("comedy", "drama")
    for item in ("a1", "a2", "a3", "a4", "a5"):
        status, _ = post_json(api(console, "event"), {"datasetGroupArn": shop["group"], "userId": "console-new",
                                                      "itemId": item, "eventType": "click"})
        assert status == 200
    _, after = post_json(api(console, "try"), ask)
    assert [item["itemId"] for item in after["itemList"]] != [item["itemId"] for item in before["itemList"]]
    recent = get_json(api(console, "events", dataset=shop["interactions"]))["events"]
    assert recent[0]["userId"] == "console-new" and recent[0]["itemId"] == "a5"


def test_try_answers_the_runtimes_own_errors(console, shop_campaign):
    status, answer = post_json(api(console, "try"), {"operation": "GetRecommendations",
                                                     "params": {"campaignArn": shop_campaign}})
    assert status == 400 and answer["__type"] == "InvalidInputException" and "userId" in answer["message"]
    status, answer = post_json(api(console, "try"), {"operation": "CreateCampaign", "params": {}})
    assert status == 400 and "CreateCampaign" in answer["message"]


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/json"},                                   # no console header
    {"Content-Type": "text/plain", "X-Emulator-Console": "1"},              # not JSON: a simple request
    {"Content-Type": "application/json", "X-Emulator-Console": "1", "Origin": "http://elsewhere.example"},
], ids=["without-header", "form-like", "other-origin"])
def test_actions_refuse_requests_a_foreign_page_could_send(console, shop, headers):
    status, answer = post_json(api(console, "delete"), {"arn": shop["filter"]}, headers=headers)
    assert status == 403 and "X-Emulator-Console" in answer["message"]
    assert get_json(api(console, "overview"))["groups"]   # nothing was deleted


def test_delete_obeys_the_services_dependency_rules(console, shop, shop_campaign, personalize):
    status, answer = post_json(api(console, "delete"), {"arn": shop["solution"]})
    assert status == 400 and answer["__type"] == "ResourceInUseException" and shop_campaign in answer["message"]
    status, answer = post_json(api(console, "delete"), {"arn": shop["version"]})
    assert status == 400 and "no operation that deletes" in answer["message"]


def test_delete_removes_a_filter_as_delete_filter_does(console, shop, personalize, wait_for, unique_name):
    arn = personalize.create_filter(name=unique_name("doomed"), datasetGroupArn=shop["group"],
                                    filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'
                                    )["filterArn"]
    wait_for(lambda: personalize.describe_filter(filterArn=arn))
    status, _ = post_json(api(console, "delete"), {"arn": arn})
    assert status == 200
    with pytest.raises(personalize.exceptions.ResourceNotFoundException):
        wait_for(lambda: personalize.describe_filter(filterArn=arn), "GONE", timeout=30)


def test_stop_ends_a_training_as_stop_solution_version_creation_does(console, shop, personalize, wait_for):
    version = personalize.create_solution_version(solutionArn=shop["popularity"])["solutionVersionArn"]
    status, _ = post_json(api(console, "stop"), {"arn": version})
    assert status == 200
    wait_for(lambda: personalize.describe_solution_version(solutionVersionArn=version), "CREATE STOPPED")
    status, answer = post_json(api(console, "stop"), {"arn": shop["group"]})
    assert status == 400 and "solution version" in answer["message"]


def test_reset_needs_its_confirmation(console, shop):
    status, answer = post_json(api(console, "reset"), {})
    assert status == 400 and "confirm" in answer["message"]
    assert get_json(api(console, "overview"))["groups"]
