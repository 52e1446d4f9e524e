"""The Fellegi–Sunter model's promise: a match probability that is one, checked on pairs simulated from a model."""

from __future__ import annotations

import numpy as np
import pytest

from ingest.linkage import Comparison, LinkageModel, calibration

COMPARISONS = [
    Comparison("name", ("blank", "same", "one character apart", "different")),
    Comparison("birth", ("blank", "same day", "same month", "different")),
    Comparison("place", ("blank", "same county", "same city", "elsewhere")),
]
M = [np.array([0.85, 0.12, 0.03]), np.array([0.7, 0.25, 0.05]), np.array([0.6, 0.3, 0.1])]
U = [np.array([0.3, 0.2, 0.5]), np.array([0.01, 0.04, 0.95]), np.array([0.1, 0.3, 0.6])]


def simulate(n: int, lam: float, seed: int, blank: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    match = rng.random(n) < lam
    gamma = np.zeros((n, len(COMPARISONS)), dtype=int)
    for k in range(len(COMPARISONS)):
        gamma[match, k] = rng.choice(3, size=match.sum(), p=M[k]) + 1
        gamma[~match, k] = rng.choice(3, size=(~match).sum(), p=U[k]) + 1
        gamma[rng.random(n) < blank, k] = 0
    return gamma, match


@pytest.mark.parametrize("lam", [0.3, 0.6])
def test_em_recovers_the_model_it_was_simulated_from(lam):
    gamma, _ = simulate(40_000, lam, seed=1)
    model = LinkageModel(COMPARISONS).fit(gamma)
    assert model.converged
    assert model.lam == pytest.approx(lam, abs=0.03)
    for k in range(len(COMPARISONS)):
        assert np.abs(model.m[k] - M[k]).max() < 0.05, (k, model.m[k])
        assert np.abs(model.u[k] - U[k]).max() < 0.05, (k, model.u[k])


@pytest.mark.parametrize("seed", [2, 3, 4])
def test_probabilities_are_calibrated_on_held_out_pairs(seed):
    fit_gamma, _ = simulate(30_000, 0.4, seed=seed)
    model = LinkageModel(COMPARISONS).fit(fit_gamma)
    gamma, match = simulate(30_000, 0.4, seed=seed + 100)
    p = model.match_probability(gamma)
    table = calibration(p, match, bands=[0, 0.2, 0.5, 0.8, 0.95, 1.0000001])
    for row in table.itertuples():
        if row.pairs >= 500:  # the share in each band is within a few points of the probabilities said
            assert abs(row.share_matching - row.mean_probability) < 0.05, table
    # Above the accept threshold, the share of non-matches is at most what the probabilities promise.
    accepted = p >= 0.9
    assert 1 - match[accepted].mean() <= 1 - p[accepted].mean() + 0.02


def test_a_null_world_gives_no_confident_links():
    # Nothing matches: every pair is drawn from the non-match distribution.
    gamma, match = simulate(20_000, 0.0, seed=5)
    assert not match.any()
    p = LinkageModel(COMPARISONS).fit(gamma).match_probability(gamma)
    assert (p >= 0.9).mean() <= 0.01


def test_blank_fields_weigh_nothing_and_waterfall_adds_up():
    gamma, _ = simulate(10_000, 0.5, seed=6)
    model = LinkageModel(COMPARISONS).fit(gamma)
    w = model.waterfall([1, 0, 3])
    assert w.loc[w["step"] == "birth", "weight"].item() == 0.0
    assert w["probability"].iloc[-1] == pytest.approx(model.match_probability(np.array([[1, 0, 3]]))[0])
    table = model.parameters()
    assert set(table["comparison"]) == {"name", "birth", "place"} and len(table) == 9
    same = table[(table["comparison"] == "birth") & (table["level"] == "same day")]["bayes_factor"].item()
    assert same > 10
    assert model.waterfall_figure([1, 1, 1]).data[0].type == "waterfall"


def test_bad_vectors_are_refused():
    model = LinkageModel(COMPARISONS)
    with pytest.raises(ValueError, match="levels 0..3"):
        model.fit(np.array([[1, 2, 4]]))
    with pytest.raises(ValueError, match="3 columns"):
        model.fit(np.array([[1, 2]]))
    assert len(model.fit(np.zeros((0, 3), dtype=int)).match_probability(np.zeros((0, 3)))) == 0


def test_with_u_from_random_pairs_candidates_that_all_match_stay_matches():
    # Candidates that are all one entity give EM no non-matches to find; with u taken from random record
    # pairs (mostly disagreeing), every candidate keeps a high probability.
    gamma, match = simulate(5_000, 1.0, seed=7)
    assert match.all()
    rng = np.random.default_rng(8)
    random_gamma = np.stack([rng.choice(3, size=4_000, p=U[k]) + 1 for k in range(3)], axis=1)
    random_gamma[:, 0] = np.where(rng.random(4_000) < 0.999, 3, 1)  # random pairs almost never share a name
    model = LinkageModel(COMPARISONS).fit(gamma, random_gamma, fix_u=True)
    assert np.allclose(model.u[1], np.bincount(random_gamma[:, 1], minlength=4)[1:] / 4_000, atol=0.01)
    p = model.match_probability(gamma)
    assert (p[gamma[:, 0] == 1] >= 0.9).mean() >= 0.99


def test_labelled_pairs_pin_what_a_match_is():
    # A share of the pairs is known (from an identifier): EM keeps their class, λ stays the share among the
    # pairs it scores, and the unknown pairs are classed as the model they were drawn from says.
    rng = np.random.default_rng(9)
    gamma, match = simulate(20_000, 0.3, seed=10)
    labelled = rng.random(len(gamma)) < 0.05
    labels = np.where(labelled, match.astype(int), -1)
    model = LinkageModel(COMPARISONS).fit(gamma, labels=labels)
    assert model.lam == pytest.approx(0.3, abs=0.03)
    p = model.match_probability(gamma[~labelled])
    assert ((p >= 0.5) == match[~labelled]).mean() >= 0.9
    with pytest.raises(ValueError, match="labels"):
        LinkageModel(COMPARISONS).fit(gamma, labels=np.full(len(gamma), 2))
