"""The shipped pytest plugin as another project meets it: a pytest session of its own, fixtures found through
the entry point, a server of its own."""

import pathlib

pytest_plugins = ["pytester"]


def test_a_user_suite_passes_with_the_shipped_fixtures(pytester):
    pytester.makeini("[pytest]\npersonalize_emulator_status_seconds = 0.05\n")
    pytester.makepyfile(test_user=(pathlib.Path(__file__).parent / "external" / "user_tests.py").read_text())
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=4)
