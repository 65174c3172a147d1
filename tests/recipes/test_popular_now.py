"""The popular-now term of aws-user-personalization's scores: what is popular at the request's moment, weighed by
how long the user has been away, chosen on the validation events at their own times and carried in the state as
the time of the user's newest event."""

import numpy as np
import pytest

from emulator.recipes import metrics, popular_now, registry
from emulator.recipes.base import TrainingBudget
from emulator.recipes.data import Interactions
from tests import synthetic

DAY = popular_now.DAY
TINY = {"hidden_dimension": "8", "bptt": "8", "recency_mask": "false"}
ONE_EPOCH = TrainingBudget(max_epochs=1, seconds=60, threads=1)


def fitted(recipe: str, hyperparameters: dict, users: int) -> tuple:
    data = Interactions.from_columns(*zip(*synthetic.waves(users)))
    model = registry.build(recipe, hyperparameters, seed=1, budget=ONE_EPOCH)
    model.fit(data)
    model.build_user_states(data)
    return model, data


@pytest.fixture(scope="module")
def trained():
    return fitted("aws-user-personalization", TINY, 400)


def top(model, data: Interactions, history: list[str], last_seen: float, count: int) -> list[str]:
    lookup = {item: index for index, item in enumerate(data.item_ids)}
    indices = [lookup[item] for item in history]
    state = model.seen(model.states_after([np.array(indices)])[0], last_seen)
    scores = model.item_scores(state)
    scores[indices] = -np.inf
    return [str(data.item_ids[i]) for i in metrics.top_k(scores, count)]


def test_a_user_back_after_days_gets_what_is_popular_now_and_one_in_a_session_what_follows(trained):
    model, data = trained
    assert away_and_within(model, data) == (True, True)
    history = ["w2-0", "p3a", "p3b", "p7a"]
    assert top(model, data, history, float(data.timestamp.max()) - 10, 1) == ["p7b"]


def test_v2_weighs_what_is_popular_now_by_the_time_away_too():
    model, data = fitted("aws-user-personalization-v2", {}, 200)
    assert away_and_within(model, data) == (True, True)
    state = model.seen(model.initial_state(3), float(data.timestamp.max()) + 1)
    assert state.seen == float(data.timestamp.max()) + 1 and model.advance(state, 0).seen == state.seen


def away_and_within(model, data: Interactions) -> tuple[bool, bool]:
    """(whether a user back after 12 days gets at least 4 of the current period's 5 new items in their top 10 (none
    without the term), whether one in a session gets fewer of them in their top 5 than the one away), for a history
    of past periods' and pair items. Over 6 seeds and 3 data draws each recipe placed 4 or 5 in the top 10 and 3 to
    5 in the top 5 away, 0 to 2 within a session."""
    choice = model.state["popular_choice"]
    weights = popular_now.parts(choice)[1]
    assert weights[-1] > weights[0], choice   # after a week away, more lift than within a session
    end = float(data.timestamp.max())
    history = ["w2-0", "p3a", "p3b", "p7a", "p7b"]

    def now_popular(items: list[str]) -> int:
        return sum(item.startswith(f"w{synthetic.WAVES - 1}-") for item in items)
    away = top(model, data, history, end - 12 * DAY, 10)
    return (now_popular(away) >= 4,
            now_popular(top(model, data, history, end - 10, 5)) < now_popular(away[:5]))


def test_a_state_ends_with_the_newest_event_in_days_since_the_data_end_and_an_event_moves_it(trained):
    model, data = trained
    end = float(data.timestamp.max())
    users, rows = data.user_rows()
    user, row = int(users[0]), rows[0]
    assert model.initial_state(user)[-1] == pytest.approx((data.timestamp[row[-1]] - end) / DAY, abs=1e-4)
    never = model.initial_state(None)
    assert np.isnan(never[-1])   # never seen: no term
    np.testing.assert_array_equal(model.item_scores(never), model.sequence_scores(never))
    later = model.seen(model.advance(model.initial_state(user), 3), end + DAY)
    assert later[-1] == pytest.approx(1.0) and later[-2] == 4   # the newest item (index + 1) just before it
    assert model.seen(later, end - DAY)[-1] == pytest.approx(1.0)   # an older event does not move it back


def test_the_term_survives_a_save_and_an_update(trained, tmp_path):
    model, data = trained
    model.save(tmp_path / "model.npz")
    loaded = registry.load(tmp_path / "model.npz")
    state = model.seen(model.initial_state(5), float(data.timestamp.max()) - 30 * DAY)
    np.testing.assert_allclose(loaded.item_scores(state), model.item_scores(state))
    grown = Interactions.from_columns(["u0", "u1"], ["w5-0", "new-item"], [data.timestamp.max() + 60] * 2,
                                      extra_items=data.item_ids.tolist())
    loaded.update(grown)
    assert loaded.item_scores(loaded.initial_state(None)).shape == (data.n_items + 1,)


def test_daily_counts_read_only_whole_days_before_a_moment_inside_the_data():
    data = Interactions.from_columns(["a", "b", "c", "a", "b"], ["x", "x", "y", "y", "y"],
                                     [0.5 * DAY, 1.2 * DAY, 2.1 * DAY, 2.9 * DAY, 3.5 * DAY])
    counts = popular_now.DailyCounts.of(data)
    x, y = (data.item_ids.tolist().index(item) for item in "xy")
    inside = np.expm1(counts.at(2.95 * DAY, 7))   # days 0 and 1 only: day 2's events are not all before it
    assert (inside[x], inside[y]) == pytest.approx((2.0, 0.0))
    at_end = np.expm1(counts.at(3.5 * DAY, 2))     # the end: days 2 and 3, the last one included
    assert (at_end[x], at_end[y]) == pytest.approx((0.0, 3.0))


def test_an_item_is_fresh_from_its_first_day_for_the_days_after_and_never_before_it_is_taken():
    data = Interactions.from_columns(["a", "b", "c", "a"], ["x", "y", "y", "z"],
                                     [0.5 * DAY, 3.2 * DAY, 9.1 * DAY, 9.5 * DAY])
    counts = popular_now.DailyCounts.of(data)
    x, y, z = (data.item_ids.tolist().index(item) for item in "xyz")
    fresh = counts.fresh(4.5 * DAY, 7)   # days before day 4: x (day 0) and y (day 3); z is not taken yet
    assert (fresh[x], fresh[y], fresh[z]) == (1.0, 1.0, 0.0)
    fresh = counts.fresh(9.5 * DAY, 7)   # the data's end: days 3 to 9; x is a week old, z taken that day
    assert (fresh[x], fresh[y], fresh[z]) == (0.0, 1.0, 1.0)


def test_items_new_in_the_last_days_get_the_lift_where_they_are_what_returning_users_take():
    # twenty old items taken every day; from day 31 a new item each day, taken once; the targets: each new item
    # taken the day after by a user back after ten days, whom its low count does not point to, its age does
    rows = [(f"regular{old}", f"old{old}", (day + 0.1) * DAY) for day in range(90) for old in range(20)]
    rows += [(f"first{day}", f"new{day}", (day + 0.2) * DAY) for day in range(31, 90)]
    data = Interactions.from_columns(*zip(*rows))
    counts = popular_now.DailyCounts.of(data)
    days = np.arange(32, 90)
    targets = np.array([data.item_ids.tolist().index(f"new{day - 1}") for day in days])
    scores = np.random.default_rng(0).normal(size=(len(days), data.n_items)).astype(np.float32)
    _, weights, fresh_days, fresh = popular_now.choose(scores, targets, (days + 0.5) * DAY,
                                                       np.full(len(days), 10 * DAY), counts)
    assert weights[-1] == 0.0 and fresh[-1] > 0.0 and fresh_days == popular_now.FRESH_DAYS[0]


def test_time_away_runs_on_the_servers_clock_in_scaled_days_and_expires_at_each_gap_class():
    def away(wall: float) -> tuple[float, float]:   # a data day per 10 s of wall time; the event arrived at 100
        return popular_now.away(5_000.0, 100.0, wall, day_seconds=10.0)
    hour, settle = 10.0 / 24, popular_now.SETTLE
    assert away(99.0) == (5_000.0, pytest.approx(100.0 + hour * settle))   # a clock that stepped back: no time away
    now, expires = away(105.0)                                             # half a day
    assert now == pytest.approx(5_000.0 + DAY / 2) and expires == pytest.approx(100.0 + 10.0 * settle)
    now, expires = away(150.0)                                             # five days
    assert popular_now.gap_class(np.array([now - 5_000.0]))[0] == 2 and expires == pytest.approx(100 + 70 * settle)
    now, expires = away(100.0 + 70.0 * settle)                             # past a week: no later change
    assert popular_now.gap_class(np.array([now - 5_000.0]))[0] == 3 and expires == np.inf


def test_the_gap_comes_from_the_requests_moment_and_the_counts_from_the_data_end(trained):
    model, data = trained
    end = float(data.timestamp.max())
    state = model.seen(model.initial_state(5), end + 30)   # in a session at the end
    np.testing.assert_array_equal(model.item_scores(state), model.item_scores(state, end + 30))
    choice = model.state["popular_choice"]
    days, weights, _, _ = popular_now.parts(choice)
    later = model.item_scores(state, end + 30 + 8 * DAY)   # a week and a day later: nothing after the end is known
    lift = later - model.item_scores(state, end + 30)
    assert weights[-1] > weights[0]
    popular = model._counts.at(end, days)
    assert np.corrcoef(lift, popular)[0, 1] > 0.99, choice
