"""Processes a test looks at: what a server started, and whether a process still runs (pgrep and ps: Linux, macOS)."""

import subprocess


def children(pid: int, command: str | None = None) -> set[int]:
    """The processes `pid` started, those whose command line contains `command` if given."""
    pattern = ["-f", command] if command else []
    found = subprocess.run(["pgrep", "-P", str(pid), *pattern], capture_output=True, text=True)
    return {int(line) for line in found.stdout.split()}


def trainers_of(pid: int) -> list[int]:
    """The training processes a server started."""
    return sorted(children(pid, "emulator.jobs.training_process"))


def running(pid: int) -> bool:
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")
