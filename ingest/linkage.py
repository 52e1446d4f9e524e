"""Probabilistic record linkage: the Fellegi–Sunter model with its weights estimated by EM.

Each candidate pair of records is compared field by field. Every comparison
sorts the pair into one of a few levels (the names are the same; one
character differs; they differ), and level 0 always means "no information"
(one side is blank), which weighs nothing. For each level the model holds

* ``m``: how often a pair of records of one entity falls in it, and
* ``u``: how often a pair of different entities does,

and ``m / u`` is the level's Bayes factor. With ``λ``, the share of candidate
pairs that are matches, a pair's match probability is

    P(match | γ) = λ·Π m[γ] / (λ·Π m[γ] + (1 − λ)·Π u[γ])

(comparisons assumed independent given the class, as in every Fellegi–Sunter
model). ``m``, ``u`` and ``λ`` are estimated by expectation–maximisation on
the candidate pairs themselves: no labelled pairs are needed, and the
probability refers to the population it is used on, the candidate pairs the
blocking rules produced. ``u`` starts from random record pairs (almost all
non-matches), ``m`` from a mild prior that agreement is likelier among
matches; both are then re-estimated. Small Dirichlet pseudo-counts keep a
level never seen in one class from having a probability of exactly 0.

This is the model Splink implements in SQL. Here the candidate pairs come
from the resolver's own blocking (resolved units, directories, forms of
names) rather than from SQL blocking rules, so the model is fitted on them
directly: patterns are few, so EM runs on the distinct comparison vectors with
their counts and takes milliseconds even for millions of pairs.

Examples
--------
>>> import numpy as np
>>> name = Comparison("name", ("blank", "same", "one character apart", "different"))
>>> model = LinkageModel([name])
>>> gamma = np.array([[1]] * 60 + [[3]] * 40)
>>> model.fit(gamma).match_probability(np.array([[1], [3]])).round(2).tolist()  # doctest: +SKIP
[0.98, 0.02]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Comparison:
    """One field compared: its name and its levels; level 0 is "no information" and weighs nothing.

    Levels are listed from the strongest agreement to disagreement, so that the starting guess (matches
    agree more often than non-matches) has a direction.
    """

    name: str
    levels: tuple[str, ...]
    description: str = ""
    #: What is known before any data (one probability per level after level 0): the model starts there,
    #: and on a handful of pairs it stays near there; thousands of pairs outweigh it.
    m_prior: tuple[float, ...] | None = None
    u_prior: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        if len(self.levels) < 2:
            raise ValueError(f"comparison {self.name!r} needs a 'no information' level and at least one other")
        for prior in (self.m_prior, self.u_prior):
            if prior is not None and (len(prior) != len(self.levels) - 1 or abs(sum(prior) - 1) > 1e-6):
                raise ValueError(
                    f"comparison {self.name!r}: a prior gives each level but 0 a probability, summing to 1"
                )

    def prior(self, which: str) -> np.ndarray:
        n = len(self.levels) - 1
        given = self.m_prior if which == "m" else self.u_prior
        if given is not None:
            return np.asarray(given, dtype=float)
        guess = 0.5 ** np.arange(n)
        guess = guess / guess.sum()
        return guess if which == "m" else guess[::-1].copy()


@dataclass
class LinkageModel:
    """A Fellegi–Sunter model over ``comparisons``; ``fit`` estimates it, ``match_probability`` applies it."""

    comparisons: list[Comparison]
    #: Weight of the priors, in pairs: each class's level probabilities start as if this many pairs had
    #: shown the prior, and λ as if this many had been split by ``lam_prior``.
    prior_strength: float = 2.0
    lam_prior: float = 0.5
    m: list[np.ndarray] = field(default_factory=list)
    u: list[np.ndarray] = field(default_factory=list)
    u_random: list[np.ndarray | None] = field(default_factory=list)
    lam: float = 0.5
    iterations: int = 0
    converged: bool = False
    pairs: int = 0

    # ----------------------------------------------------------- estimation
    def fit(
        self,
        gamma: np.ndarray,
        random_gamma: np.ndarray | None = None,
        max_iter: int = 200,
        tol: float = 1e-7,
        fix_u: bool = False,
        labels: np.ndarray | None = None,
        scored: np.ndarray | None = None,
    ) -> LinkageModel:
        """Estimate ``m``, ``u`` and ``λ`` by EM on candidate pairs' comparison vectors ``gamma``
        (rows: pairs, columns: comparisons, values: levels). ``random_gamma``, vectors of random record
        pairs, gives ``u`` its starting point (and is kept in the parameter table for reference).

        ``fix_u``: take ``u`` from the random pairs and estimate only ``m`` and ``λ``, as Splink does. Needed
        where the candidates hold too few non-matches for EM to find them: it then splits the matches
        along some other line instead.

        ``labels``: per pair, 1 for a known match, 0 for a known non-match (two records that carry the same
        identifier, or two different ones), -1 for unknown. Known pairs keep their class in every E-step, so
        they pin what "match" means (as Splink estimates m from a label column): unsupervised EM on many
        pairs can otherwise settle on another split of the data (pairs from one office against pairs from
        two). λ is the match share of the pairs the probabilities are for: ``scored`` (per pair, True for
        those), by default the unknown pairs only."""
        gamma = self._check(gamma)
        known_label = np.full(len(gamma), -1, dtype=np.int64) if labels is None else np.asarray(labels, dtype=np.int64)
        if known_label.shape != (len(gamma),) or not np.isin(known_label, (-1, 0, 1)).all():
            raise ValueError("labels: one of 1 (match), 0 (non-match) or -1 (unknown) per pair")
        self.pairs = len(gamma)
        self.u_random = [None] * len(self.comparisons)
        if random_gamma is not None and len(random_gamma):
            random_gamma = self._check(random_gamma)
            for k, comp in enumerate(self.comparisons):
                counts = np.bincount(random_gamma[:, k], minlength=len(comp.levels))[1:].astype(float)
                if counts.sum() > 0:
                    self.u_random[k] = (counts + 0.5) / (counts.sum() + 0.5 * len(counts))
        # Starting point: the priors (by default: among matches the strongest agreement is likeliest; among
        # non-matches the reverse). Random pairs' frequencies, where given, are kept beside them for reference.
        m_prior = [comp.prior("m") for comp in self.comparisons]
        u_prior = [comp.prior("u") for comp in self.comparisons]
        if fix_u and random_gamma is not None and len(random_gamma):
            # The random pairs' level frequencies; a level no random pair showed keeps a small share (0.05
            # pairs' worth), so that it is rare but possible.
            for k, comp in enumerate(self.comparisons):
                counts = np.bincount(random_gamma[:, k], minlength=len(comp.levels))[1:].astype(float)
                u_prior[k] = (counts + 0.05) / (counts.sum() + 0.05 * len(counts))
        self.m, self.u = [a.copy() for a in m_prior], [a.copy() for a in u_prior]
        self.lam = self.lam_prior
        s = self.prior_strength
        if not self.pairs:
            return self
        in_share = known_label < 0 if scored is None else np.asarray(scored, dtype=bool)
        combined, counts = np.unique(
            np.column_stack([gamma, known_label, in_share.astype(np.int64)]), axis=0, return_counts=True
        )
        patterns, label, share = combined[:, :-2], combined[:, -2], combined[:, -1] == 1
        counts = counts.astype(float)
        known = label >= 0
        self.converged = False
        for self.iterations in range(1, max_iter + 1):
            p = np.where(known, label, self._posterior(patterns))
            # λ weighs as s pairs too; it is the share of matches among the scored pairs.
            lam = float(((p * counts)[share].sum() + s * self.lam_prior) / (counts[share].sum() + s))
            m, u = [], []
            for k, comp in enumerate(self.comparisons):
                levels = len(comp.levels) - 1
                wm = np.zeros(levels)
                wu = np.zeros(levels)
                seen = patterns[:, k] > 0
                np.add.at(wm, patterns[seen, k] - 1, (p * counts)[seen])
                np.add.at(wu, patterns[seen, k] - 1, ((1 - p) * counts)[seen])
                # A level never seen in one class keeps a little of its prior, never exactly 0.
                m.append((wm + s * m_prior[k] + 1e-3) / (wm.sum() + s + 1e-3 * levels))
                u.append(u_prior[k] if fix_u else (wu + s * u_prior[k] + 1e-3) / (wu.sum() + s + 1e-3 * levels))
            change = abs(lam - self.lam) + max(
                float(np.abs(a - b).max()) for a, b in zip(m + u, self.m + self.u, strict=True)
            )
            self.lam = min(max(lam, 1e-9), 1 - 1e-9)
            self.m, self.u = m, u
            if change < tol:
                self.converged = True
                break
        return self

    # -------------------------------------------------------------- applying
    def match_probability(self, gamma: np.ndarray) -> np.ndarray:
        """Each pair's probability of being one entity, given its comparison vector."""
        gamma = self._check(gamma)
        if not len(gamma):
            return np.zeros(0)
        patterns, inverse = np.unique(gamma, axis=0, return_inverse=True)
        return self._posterior(patterns)[inverse.reshape(-1)]

    def _log_bayes_factor(self, patterns: np.ndarray) -> np.ndarray:
        total = np.zeros(len(patterns))
        for k in range(len(self.comparisons)):
            level = patterns[:, k]
            seen = level > 0
            ratio = np.log(self.m[k]) - np.log(self.u[k])
            total[seen] += ratio[level[seen] - 1]
        return total

    def _posterior(self, patterns: np.ndarray) -> np.ndarray:
        logit = np.log(self.lam) - np.log1p(-self.lam) + self._log_bayes_factor(patterns)
        return 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))

    def _check(self, gamma: np.ndarray) -> np.ndarray:
        gamma = np.asarray(gamma, dtype=np.int64)
        if gamma.ndim != 2 or gamma.shape[1] != len(self.comparisons):
            if gamma.size == 0:
                return gamma.reshape(0, len(self.comparisons))
            raise ValueError(f"comparison vectors need {len(self.comparisons)} columns, got shape {gamma.shape}")
        for k, comp in enumerate(self.comparisons):
            if len(gamma) and (gamma[:, k].min() < 0 or gamma[:, k].max() >= len(comp.levels)):
                raise ValueError(f"comparison {comp.name!r} has levels 0..{len(comp.levels) - 1}")
        return gamma

    # ------------------------------------------------------------- evidence
    def parameters(self) -> pd.DataFrame:
        """The m/u table: one row per comparison level, with its Bayes factor (m/u) and weight (log2)."""
        rows: list[dict[str, Any]] = []
        for k, comp in enumerate(self.comparisons):
            for level, label in enumerate(comp.levels[1:], start=1):
                m, u = float(self.m[k][level - 1]), float(self.u[k][level - 1])
                ur = self.u_random[k]
                rows.append(
                    {
                        "comparison": comp.name,
                        "level": label,
                        "m": m,
                        "u": u,
                        "u_random_pairs": float(ur[level - 1]) if ur is not None else float("nan"),
                        "bayes_factor": m / u,
                        "weight": float(np.log2(m / u)),
                    }
                )
        return pd.DataFrame(rows)

    def waterfall(self, vector: Sequence[int]) -> pd.DataFrame:
        """One pair's evidence step by step: the prior, each comparison's weight (log2 Bayes factor), the
        final probability, as Splink's waterfall chart shows it."""
        (row,) = self._check(np.asarray([vector]))
        prior = float(np.log2(self.lam / (1 - self.lam)))
        steps = [{"step": "先验（候选记录对中属同一实体的比例）", "level": "", "weight": prior}]
        for k, comp in enumerate(self.comparisons):
            level = int(row[k])
            weight = 0.0 if level == 0 else float(np.log2(self.m[k][level - 1] / self.u[k][level - 1]))
            steps.append({"step": comp.name, "level": comp.levels[level], "weight": weight})
        frame = pd.DataFrame(steps)
        frame["cumulative"] = frame["weight"].cumsum()
        frame["probability"] = 1 / (1 + 2.0 ** (-frame["cumulative"]))
        return frame

    def waterfall_figure(self, vector: Sequence[int], title: str = "") -> Any:
        """The waterfall as a plotly figure: bars of evidence for (up) and against (down) one entity."""
        import plotly.graph_objects as go

        frame = self.waterfall(vector)
        labels = [f"{s}：{lv}" if lv else s for s, lv in zip(frame["step"], frame["level"], strict=True)]
        fig = go.Figure(
            go.Waterfall(
                x=labels,
                y=frame["weight"],
                measure=["absolute"] + ["relative"] * (len(frame) - 1),
                text=[f"{w:+.1f}" for w in frame["weight"]],
            )
        )
        p = float(frame["probability"].iloc[-1])
        fig.update_layout(title=title or f"匹配概率 {p:.3f}", yaxis_title="证据权重（log2 贝叶斯因子）")
        return fig


def calibration(probability: Sequence[float], truth: Sequence[bool], bands: Sequence[float] = ()) -> pd.DataFrame:
    """Share of true matches within each probability band, beside the band's mean probability."""
    edges = list(bands) or [0.0, 0.5, 0.8, 0.9, 0.95, 0.99, 0.999, 1.0000001]
    frame = pd.DataFrame({"p": np.asarray(probability, dtype=float), "match": np.asarray(truth, dtype=bool)})
    frame["band"] = pd.cut(frame["p"], edges, right=False)
    out = frame.groupby("band", observed=True).agg(
        pairs=("p", "size"), mean_probability=("p", "mean"), share_matching=("match", "mean")
    )
    return out.reset_index()
