"""The modules keep to their floors (scripts/import_graph.py): no import circles, no import of a higher floor."""

import importlib.util
import pathlib
import subprocess
import sys

SCRIPT = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "import_graph.py"


def _checker():
    spec = importlib.util.spec_from_file_location("import_graph", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_emulator_has_no_import_circle_and_no_import_of_a_higher_floor():
    done = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "circles: 0" in done.stdout and "upward imports: 0" in done.stdout


def test_the_checker_sees_a_lazy_import_that_closes_a_circle_and_runs_up(tmp_path):
    _package(tmp_path, {"__init__": "", "low": "def late():\n    from pkg.high import thing\n    return thing\n",
                        "high": "from pkg import low\nthing = 1\n"})
    checker = _checker()
    floors = [("low", ["pkg", "pkg.low"]), ("high", ["pkg.high"])]
    edges = checker.imports(tmp_path, ("pkg",))
    assert checker.circles(edges) == [["pkg.high", "pkg.low", "pkg.high"]]
    assert [(edge.source, edge.target, edge.line, edge.lazy) for edge in checker.upward(edges, floors)] == [
        ("pkg.low", "pkg.high", 2, True)]


def test_the_checker_counts_a_packages_reexport_as_an_import_of_the_module_behind_it(tmp_path):
    _package(tmp_path, {"__init__": "def __getattr__(name):\n    from pkg.top import thing\n    return thing\n",
                        "top": "thing = 1\n", "user": "from pkg import thing\n"})
    edges = _checker().imports(tmp_path, ("pkg",))
    assert [(edge.source, edge.target) for edge in edges] == [("pkg.user", "pkg.top")]


def _package(root, modules: dict[str, str]) -> None:
    """A package `pkg` under `root`: module name -> source."""
    package = root / "pkg"
    package.mkdir()
    for name, source in modules.items():
        (package / f"{name}.py").write_text(source)
