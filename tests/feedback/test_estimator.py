import random
import statistics

import pytest

from app.agent.feedback.config import FeedbackConfig
from app.agent.feedback.estimator import Task, estimate, hajek, kish_n_eff, raw_rate, wilson
from app.agent.feedback.policy import SamplingPolicy


def test_hajek_and_kish():
    assert hajek([(10.0, 1.0), (4.0, 0.0), (4.0, 0.0), (2.0, 1.0)]) == pytest.approx(12 / 20)
    assert hajek([]) is None
    assert kish_n_eff([1.0] * 8) == pytest.approx(8)
    assert kish_n_eff([10.0, 4.0, 4.0, 2.0]) == pytest.approx(400 / 136)


def test_wilson_matches_the_textbook():
    low, high = wilson(0.5, 100)
    assert (low, high) == (pytest.approx(0.4038, abs=1e-4), pytest.approx(0.5962, abs=1e-4))
    low, high = wilson(0.0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)  # not a degenerate [0, 0]
    assert wilson(0.3, 0) == (0.0, 1.0)


def test_weights_undo_oversampling():
    # 10 risky tasks (π=0.5) all rated down; 10 ordinary (π=0.1) all rated up.
    # Each ordinary rating stands for 10 tasks, each risky one for 2: 100 up vs 20 down.
    tasks = [Task("edit", 0.5, True, "down") for _ in range(10)] + [Task("edit", 0.1, True, "up") for _ in range(10)]
    e = estimate(tasks, min_n=10)
    assert e.rate == pytest.approx(100 / 120)
    assert e.n == 20 and e.n_eff == pytest.approx(kish_n_eff([2.0] * 10 + [10.0] * 10))
    assert e.low < e.rate < e.high


def test_post_stratification_uses_every_task_and_drops_empty_categories():
    tasks = (
        [Task("chat", 0.5, True, "up") for _ in range(10)]  # chat: 30 tasks, 10 asked, all up
        + [Task("chat", 0.5, False) for _ in range(20)]
        + [Task("edit", 0.5, True, "down") for _ in range(2)]  # edit: 10 tasks, only 2 of 5 asked answered
        + [Task("edit", 0.5, True, None) for _ in range(3)]
        + [Task("edit", 0.5, False) for _ in range(5)]
        + [Task("run", 0.5, True, "skip") for _ in range(4)]  # run: 10 tasks, asked but nobody rated
        + [Task("run", 0.5, False) for _ in range(6)]
        + [Task("chat", 0.0, False) for _ in range(7)]  # π = 0: outside the design
    )
    e = estimate(tasks, min_n=10)
    assert e.tasks == 50
    assert e.rate == pytest.approx(30 / 40 * 1.0 + 10 / 40 * 0.0)  # run has no ratings: left out
    assert e.covered == pytest.approx(40 / 50)
    assert (e.asked, e.answered, e.n) == (19, 16, 12)
    assert e.response_rate == pytest.approx(16 / 19)
    # worst case over the asked, all categories that were asked: unknowns down, then up
    assert e.worst_low == pytest.approx((30 * 1.0 + 10 * 0.0 + 10 * 0.0) / 50)
    assert e.worst_high == pytest.approx((30 * 1.0 + 10 * 3 / 5 + 10 * 1.0) / 50)
    assert e.strata["edit"]["answered"] == 2 and e.strata["run"]["n"] == 0


def test_under_the_minimum_there_is_no_number():
    e = estimate([Task("chat", 0.1, True, "up") for _ in range(9)], min_n=10)
    assert e.rate is None and e.low is None and e.high is None
    assert e.n == 9 and not e.enough
    assert e.message == "not enough data (n = 9 < 10)"
    assert estimate([], min_n=10).message == "not enough data (n = 0 < 10)"


def test_raw_rate():
    assert raw_rate(["up", "down", "skip", None, "up"]) == (pytest.approx(2 / 3), 3)
    assert raw_rate([None, "skip"]) == (None, 0)


# --- the simulation from issue 6 ------------------------------------------------------

CATEGORIES = {  # share of tasks, P(satisfied) for an ordinary task, P(answer | asked)
    "chat": (0.30, 0.90, 0.90),
    "edit": (0.45, 0.70, 0.75),
    "run": (0.25, 0.60, 0.60),
}
RISKY_SHARE = 0.2  # tasks with retries or tool errors: oversampled, and less often satisfying
RISKY_PENALTY = 0.35
SKIP_SHARE = 0.05
VOLUNTEER = {True: 0.01, False: 0.05}  # unhappy users volunteer 5x more


def simulate(seed: int, size: int = 1000) -> dict:
    rng = random.Random(seed)
    policy = SamplingPolicy(FeedbackConfig(fatigue_window_s=0), random.Random(seed + 10_000))
    tasks, satisfied, volunteered = [], [], []
    names = list(CATEGORIES)
    weights = [CATEGORIES[n][0] for n in names]
    for i in range(size):
        category = rng.choices(names, weights)[0]
        _, p_satisfied, p_answer = CATEGORIES[category]
        risky = rng.random() < RISKY_SHARE
        happy = rng.random() < p_satisfied - (RISKY_PENALTY if risky else 0.0)
        decision = policy.decide(["tool_error"] if risky else [], now=float(i))
        rating = None
        if decision.shown and rng.random() < p_answer:  # answering depends on the category, not the mood
            rating = "skip" if rng.random() < SKIP_SHARE else ("up" if happy else "down")
        tasks.append(Task(category, decision.pi, decision.shown, rating))
        satisfied.append(happy)
        if rng.random() < VOLUNTEER[happy]:
            volunteered.append("up" if happy else "down")
    return {"tasks": tasks, "truth": sum(satisfied) / size, "volunteered": volunteered}


def test_weighted_estimate_covers_the_truth_and_volunteers_do_not():
    covered = volunteer_outside = 0
    errors, volunteer_errors = [], []
    for seed in range(100):
        population = simulate(seed)
        e = estimate(population["tasks"], min_n=10)
        assert e.enough, f"seed {seed}: n = {e.n}"
        truth = population["truth"]
        covered += e.low <= truth <= e.high
        errors.append(e.rate - truth)
        volunteer_rate, _ = raw_rate(population["volunteered"])
        volunteer_errors.append(volunteer_rate - truth)
        volunteer_outside += not (e.low <= volunteer_rate <= e.high)
    assert covered >= 90, f"the 95% interval covered the true rate in only {covered} of 100 populations"
    assert abs(statistics.mean(errors)) < 0.02  # unbiased despite oversampling and uneven response
    assert statistics.mean(volunteer_errors) < -0.25  # the volunteered rate is visibly (and wrongly) low
    assert volunteer_outside >= 95


def test_ignoring_the_weights_would_be_biased():
    """The same data averaged naively (no 1/π, no categories) misses: the weights matter."""
    naive_errors = []
    for seed in range(100):
        population = simulate(seed)
        naive, _ = raw_rate(t.rating for t in population["tasks"])
        naive_errors.append(naive - population["truth"])
    assert statistics.mean(naive_errors) < -0.03
