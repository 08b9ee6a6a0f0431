import itertools

import numpy as np
import pytest

from core.decide.metrics import accuracy_at, best_balanced_threshold, best_threshold, kfold_accuracy, roc_curve, tar_at_far


def _brute_best(scores, labels):
    best = 0.0
    for t in np.concatenate([scores, [scores.max() + 1]]):
        best = max(best, np.mean((scores >= t) == labels))
    return best


def test_best_threshold_matches_brute_force():
    rng = np.random.default_rng(0)
    for _ in range(20):
        labels = rng.random(60) < 0.5
        scores = rng.normal(labels * 1.0, 0.8)
        t, acc = best_threshold(scores, labels)
        assert acc == pytest.approx(_brute_best(scores, labels))
        assert accuracy_at(scores, labels, t) == pytest.approx(acc)


def test_separable_scores_give_perfect_kfold():
    labels = np.tile([True, False], 50)
    scores = np.where(labels, 0.8, 0.1) + np.linspace(0, 0.05, 100)
    res = kfold_accuracy(scores, labels, folds=10)
    assert res["accuracy"] == 1.0 and res["std"] == 0.0
    assert 0.15 < res["threshold"] < 0.8


def test_kfold_needs_enough_pairs():
    with pytest.raises(ValueError):
        kfold_accuracy(np.zeros(5), np.zeros(5, bool))


def test_roc_against_brute_force():
    rng = np.random.default_rng(3)
    labels = rng.random(200) < 0.4
    scores = np.round(rng.normal(labels * 1.0, 1.0), 1)  # ties on purpose
    far, tar, thr = roc_curve(scores, labels)
    for f, t, th in itertools.islice(zip(far, tar, thr), 1, None):
        pred = scores >= th
        assert t == pytest.approx(pred[labels].mean())
        assert f == pytest.approx(pred[~labels].mean())
    assert far[0] == 0 and tar[-1] == 1 and far[-1] == 1


def test_tar_at_far():
    labels = np.array([True] * 10 + [False] * 1000)
    scores = np.r_[np.linspace(0.9, 0.5, 10), np.linspace(0.0, 0.6, 1000)]
    # negatives above 0.55: those in (0.55, 0.6] -> about 83 of 1000; TAR at FAR<=1e-3 allows one negative
    got = tar_at_far(scores, labels, 1e-3)
    pred_t = np.sort(scores[~labels])[-2]  # threshold just above the second-highest negative
    assert got == pytest.approx(np.mean(scores[labels] > pred_t))
    assert tar_at_far(scores[:20], labels[:20], 1e-4) is None  # 10 negatives cannot measure 1e-4


def test_balanced_threshold_ignores_class_imbalance():
    labels = np.array([True] * 10 + [False] * 990)
    scores = np.r_[np.full(10, 0.6), np.full(990, 0.2)]
    scores[10:20] = 0.65  # a few hard negatives above the positives
    t, bal = best_balanced_threshold(scores, labels)
    assert 0.2 < t <= 0.6
    assert bal == pytest.approx(0.5 * (1 + 980 / 990))


def test_tail_table_and_exceedance_match_the_sample():
    from core.decide.metrics import exceedance, tail_table

    rng = np.random.default_rng(5)
    x = rng.normal(0.0, 0.1, 200_000)
    tab = tail_table(x)
    for t in (0.0, 0.1, 0.2, 0.3, 0.35):
        assert exceedance(tab, t) == pytest.approx(np.mean(x >= t), rel=0.15, abs=2e-5)
    # beyond the measured range the tail keeps falling, never rises
    far = exceedance(tab, np.array([0.45, 0.5, 0.6]))
    assert (np.diff(far) < 0).all() and far[0] < tab["p"][-1]
    assert exceedance(tab, -1.0) == pytest.approx(1.0)


def test_far_table_thresholds_give_their_rates():
    from core.decide.metrics import far_table, threshold_for_rate

    rng = np.random.default_rng(6)
    imp = rng.normal(0.1, 0.1, 100_000)
    tab = far_table(imp)
    for far, thr in zip(tab["far"], tab["threshold"]):
        assert np.mean(imp >= thr) == pytest.approx(far, rel=0.2)
    mid = threshold_for_rate(tab["far"], tab["threshold"], 2e-3)
    assert tab["threshold"][3] < mid < tab["threshold"][4]  # between the 3e-3 and 1e-3 thresholds


def test_score_at_rate_inverts_the_tail_model_between_and_beyond_its_levels():
    """One threshold for a rate: score_at_rate is exceedance's inverse (measured levels, the exponential tail
    beyond them); the grouping's tau(1) is it on the trusted levels, and tau(k) moves with the k-tables' means."""
    from core.decide.metrics import exceedance, score_at_rate, tail_table, trusted
    from core.decide.open_set import Thresholds

    rng = np.random.default_rng(8)
    tab = tail_table(rng.normal(0.0, 0.1, 200_000))
    for p in (0.2, 1e-2, 3e-4, 1e-5, 1e-7, 1e-9):  # inside the levels, then ever deeper into the tail
        t = score_at_rate(tab, p)
        assert float(exceedance(tab, t)) == pytest.approx(p, rel=1e-6)
    assert score_at_rate(tab, 1e-9) > score_at_rate(tab, 1e-7) > score_at_rate(tab, 1e-5)
    cut = trusted(tab, 50)
    assert min(cut["p"]) * cut["n"] >= 50 and len(cut["p"]) < len(tab["p"])
    second = tail_table(rng.normal(0.05, 0.1, 200_000))
    tau = Thresholds({"impostor": {"k": [1, 5], "tables": [tab, second]}}, 1e-7)
    assert float(tau(1)) == score_at_rate(cut, 1e-7)
    assert float(tau(5)) == pytest.approx(float(tau(1)) + second["mean"] - tab["mean"])


def test_open_set_threshold_grows_with_the_gallery_and_meets_its_rate():
    """Simulated strangers against simulated identities: the measured FPIR at the derived threshold
    is at most the target (within sampling error), and more people need a higher threshold."""
    from core.decide.metrics import tail_table
    from core.decide.open_set import open_set_threshold, tails_stranger_rate

    rng = np.random.default_rng(7)
    single = rng.normal(0.0, 0.12, 400_000)
    impostor = {"k": [1], "tables": [tail_table(single)]}
    t5 = open_set_threshold(impostor, [1] * 5, 0.01)
    t500 = open_set_threshold(impostor, [1] * 500, 0.01)
    assert t500 > t5
    assert tails_stranger_rate(impostor, [1] * 5, t5) == pytest.approx(0.01, rel=0.05)
    strangers = rng.normal(0.0, 0.12, (20_000, 5)).max(axis=1)  # 5 independent identities
    assert np.mean(strangers >= t5) == pytest.approx(0.01, abs=0.003)


def test_bcubed_matches_its_definition_by_brute_force():
    from core.decide.metrics import bcubed

    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 40))
        truth = rng.integers(0, 6, n)
        labels = rng.integers(-1, 5, n)
        groups = [[j] if labels[j] < 0 else [k for k in range(n) if labels[k] == labels[j]] for j in range(n)]
        p = np.mean([sum(truth[k] == truth[j] for k in groups[j]) / len(groups[j]) for j in range(n)])
        r = np.mean([sum(truth[k] == truth[j] for k in groups[j]) / (truth == truth[j]).sum() for j in range(n)])
        assert bcubed(labels, truth) == pytest.approx((p, r, 2 * p * r / (p + r)))
    assert bcubed(np.array([0, 0, 1]), np.array([5, 5, 7])) == (1.0, 1.0, 1.0)
    assert bcubed(np.array([-1, -1]), np.array([5, 5]))[:2] == (1.0, 0.5)
