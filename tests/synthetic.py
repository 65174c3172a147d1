"""Small generated datasets with known structure, so tests can tell a working model from a broken one."""

import io
import json
from collections.abc import Sequence

import numpy as np

from emulator.recipes.data import Interactions, Metadata

INTERACTIONS_SCHEMA = json.dumps({
    "type": "record", "name": "Interactions", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
               {"name": "TIMESTAMP", "type": "long"}],
    "version": "1.0"})

START = 1_700_000_000


def two_tastes(users: int = 60, items: int = 100, per_user: int = 30, seed: int = 0,
               alternate: bool = False, switch: float = 0.0) -> list[tuple[str, str, int]]:
    """Users of taste a walk through the items of group A ("a0".."a49" of 100 items), users of taste b through
    group B, each step usually to the next item of their group: the first half of the users are of taste a, or
    with `alternate` the even-numbered ones. With `switch`, each step first moves to the walk through the other
    group with that probability. Returns (USER_ID, ITEM_ID, TIMESTAMP) rows, each user's events after the
    previous user's."""
    rng = np.random.default_rng(seed)
    half = items // 2
    rows = []
    for user in range(users):
        group = "ab"[user % 2] if alternate else ("a" if user < users // 2 else "b")
        position = other = int(rng.integers(half))
        for step in range(per_user):
            if switch and rng.random() < switch:
                group, position, other = {"a": "b", "b": "a"}[group], other, position
            position = (position + 1) % half if rng.random() < 0.8 else int(rng.integers(half))
            rows.append((f"user{user}", f"{group}{position}", START + user * 10_000 + step * 60))
    return rows


WAVES, WAVE_DAYS, WAVE_ITEMS, PAIRS = 6, 10, 5, 30
DAY = 86_400


def waves(users: int = 400, seed: int = 0) -> list[tuple[str, str, int]]:
    """Sixty days from START; each period of WAVE_DAYS has its own WAVE_ITEMS new items ("w<period>-<n>"). A
    user comes back every 6 to 20 days, first takes one of the current period's new items, then, 30 s apart, two
    or three random pairs ("p<n>a" then "p<n>b"): after a gap the user takes what is popular now, within a session
    what follows. Returns (USER_ID, ITEM_ID, TIMESTAMP) rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for user in range(users):
        day = float(rng.uniform(0, 10))
        while day < WAVES * WAVE_DAYS:
            moment = START + int(day * DAY)
            rows.append((f"u{user}", f"w{int(day // WAVE_DAYS)}-{rng.integers(WAVE_ITEMS)}", moment))
            for pair in rng.choice(PAIRS, size=int(rng.integers(2, 4)), replace=False).tolist():
                for side in "ab":
                    moment += 30
                    rows.append((f"u{user}", f"p{pair}{side}", moment))
            day += float(rng.uniform(6, 20))
    return rows


GROUP = 12   # items per taste in the recipe tests' small two_tastes_interactions


def two_tastes_interactions(users: int = 60, per_user: int = 24, seed: int = 0, *, items: Metadata | None = None,
                            profiles: Metadata | None = None, extra_items: Sequence[str] = ()) -> Interactions:
    """two_tastes(alternate=True) over 2 * GROUP items (a0..a11, b0..b11) as Interactions, with the Items and Users
    records and the catalogue items without interactions given."""
    rows = two_tastes(users, items=2 * GROUP, per_user=per_user, seed=seed, alternate=True)
    return Interactions.from_columns(*zip(*rows), extra_items=extra_items, items=items, users=profiles)


def group_of(item_id: str) -> str:
    return item_id[0]


HEADER = ("USER_ID", "ITEM_ID", "TIMESTAMP")


def to_csv(rows: list[tuple], header: tuple[str, ...] = HEADER) -> bytes:
    out = io.StringIO()
    out.write(",".join(header) + "\n")
    for row in rows:
        out.write(",".join(str(value) for value in row) + "\n")
    return out.getvalue().encode()


ITEMS_SCHEMA = json.dumps({
    "type": "record", "name": "Items", "namespace": "com.amazonaws.personalize.schema",
    "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "GENRE", "type": "string", "categorical": True},
               {"name": "PRICE", "type": ["null", "float"]}],
    "version": "1.0"})


def items_of_two_tastes(items: int = 100) -> list[tuple[str, str, str]]:
    """(ITEM_ID, GENRE, PRICE) for the items of two_tastes: group a is "comedy", group b "drama"."""
    half = items // 2
    return ([(f"a{n}", "comedy", f"{n}.5") for n in range(half)]
            + [(f"b{n}", "drama", "") for n in range(half)])
