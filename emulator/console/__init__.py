"""The web console served under /_emulator/console/: resources, data, training curves, metrics, a try-it panel
and the actions a person needs locally. views.py holds the routes, queries.py the reads, static/ the page."""

from emulator.console.views import PREFIX, blueprint

__all__ = ["PREFIX", "blueprint"]
