"""The README's Python code runs as written, so it cannot drift from the code."""

import os
import pathlib
import re
import subprocess
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"

pytest_plugins = ["pytester"]


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_the_quick_start_runs_twice_against_a_server(personalize_endpoint, tmp_path):
    script = tmp_path / "quick_start.py"
    script.write_text(next(block for block in python_blocks() if "create_solution_version" in block))
    env = {**os.environ, "AWS_ENDPOINT_URL": personalize_endpoint, "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    for _ in range(2):
        done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        metrics, before, after = done.stdout.strip().splitlines()
        assert "normalized_discounted_cumulative_gain_at_10" in metrics
        assert before.startswith("['item") and after.startswith("['item")


def test_the_testing_examples_pass_as_a_users_suite(pytester):
    pytester.makeini("[pytest]\npersonalize_emulator_status_seconds = 0.05\n")
    pytester.makepyfile(test_readme_examples=next(block for block in python_blocks() if "mock_personalize" in block))
    pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q").assert_outcomes(passed=4)
