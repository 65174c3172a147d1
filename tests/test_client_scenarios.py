"""Clients other than boto3 run a whole scenario against the emulator: the AWS CLI (scripts/scenario_cli.sh) and
the JavaScript SDK v3 (scripts/scenario_js). Each is skipped, with the reason, where its tool is missing."""

import os
import pathlib
import shutil
import subprocess

import pytest

SCRIPTS = pathlib.Path(__file__).resolve().parent.parent / "scripts"
SCENARIO_JS = SCRIPTS / "scenario_js"
SECONDS = 240   # each takes 5-40 s alone; the margin is for a machine busy with trainings


def run(command: list[str], cwd: pathlib.Path | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a client with none of this process's AWS settings: the scenario says where the emulator is."""
    clean = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return subprocess.run(command, cwd=cwd, env={**clean, **(env or {})}, capture_output=True, text=True,
                          timeout=SECONDS)


def test_the_aws_cli_runs_the_whole_scenario(personalize_endpoint):
    aws = shutil.which("aws")
    if aws is None:
        pytest.skip("the AWS CLI is not installed (pip install awscli, or the AWS CLI v2)")
    result = run(["bash", str(SCRIPTS / "scenario_cli.sh"), "--endpoint-url", personalize_endpoint, "--aws", aws])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scenario passed" in result.stdout


@pytest.fixture(scope="module")
def node_modules() -> None:
    """The SDK packages of scripts/scenario_js, installed from its package-lock.json when missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed")
    if not (SCENARIO_JS / "node_modules").is_dir():
        installed = run(["npm", "ci", "--no-audit", "--no-fund"], cwd=SCENARIO_JS)
        if installed.returncode != 0:
            pytest.skip(f"npm ci could not install the JavaScript SDK: {installed.stderr[-500:]}")


def test_the_javascript_sdk_runs_the_whole_scenario_given_aws_endpoint_url_alone(personalize_endpoint, node_modules):
    result = run(["node", "scenario.mjs"], cwd=SCENARIO_JS, env={"AWS_ENDPOINT_URL": personalize_endpoint})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "scenario passed" in result.stdout
