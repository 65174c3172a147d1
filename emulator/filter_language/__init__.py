"""Filter expressions: parse and check them at CreateFilter, apply them to candidates at request time.
spec: personalize-behavior.md §9"""

from emulator.filter_language.expression import Context, Filter, FilterError, parse

__all__ = ["Context", "Filter", "FilterError", "parse"]
