"""The item-attribute queries of aws-item-attribute-affinity batch segment jobs, parsed without the model
(so the batch task can be imported without torch). spec: personalize-behavior.md §11.2"""

import re

TERM = re.compile(r'\s*ITEMS\.([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"\s*(AND\b|$)', re.IGNORECASE)


def parse_item_attributes(text: str) -> list[tuple[str, str]]:
    """'ITEMS.genres = "Comedy" AND ITEMS.genres = "Action"' -> [("genres", "Comedy"), ("genres", "Action")]:
    only ITEMS.<field> = "<value>" terms joined by AND."""
    terms, position, joined = [], 0, True
    while joined:
        found = TERM.match(text, position)
        if found is None:
            raise ValueError(f'{text!r} is not a list of ITEMS.<field> = "<value>" terms joined by AND.')
        terms.append((found.group(1), found.group(2)))
        position, joined = found.end(), bool(found.group(3))
    return terms
