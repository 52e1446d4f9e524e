"""Calibration and power of systemic-problems on simulated worlds (issue 16).

Null worlds: no system differs from any other. Two kinds:

- ``clustered``: each unit has its own mix of categories (Dirichlet with concentration 0.3 per category)
  and 8-20 findings drawn from it, so a unit holds several findings of the same kind, as real tours find;
- ``independent``: each finding's category drawn independently from one shared distribution.

In a null world every hit is a false discovery, so the share of worlds with any hit is the
family-wise error, which under the complete null equals the false-discovery rate BH promises (at
most ``fdr``).

Power: the same clustered worlds, with one system's units given one more category (a finding of it)
with probability ``effect`` at every tier; the share of worlds where that (system, category) is found,
and found cross-tier, by effect and units per system per tier. False discoveries in those worlds are
counted too.

    python bench/calibration.py --worlds 200            # about a minute
    python bench/calibration.py --worlds 200 --json bench/results/calibration_systemic.json

The detector's own path (``detect_systemic_problems``) calls the same ``pair_tests`` and BH; the
tests run a fast version of the null check and the detector on graphs on both backends.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binomtest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.systemic import discrete_bh, pair_tests, smallest_p  # noqa: E402

TIERS = ("province", "city", "county")


def world(
    rng: np.random.Generator,
    kind: str,
    systems: int,
    per_tier: dict[str, int],
    categories: int,
    effect: float = 0.0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    units, found = [], []
    shared = rng.dirichlet(np.ones(categories))
    for tier, n in per_tier.items():
        for s in range(systems):
            for i in range(n):
                org = f"{tier}:{s}:{i}"
                units.append((org, tier, f"s{s}"))
                k = int(rng.integers(8, 21))
                mix = rng.dirichlet(0.3 * np.ones(categories)) if kind == "clustered" else shared
                for c in rng.choice(categories, size=k, p=mix):
                    found.append((org, f"c{c}"))
                if s == 0 and effect and rng.random() < effect:
                    found.append((org, "c0"))  # PLANTED: system s0, category c0, every tier
    return (
        pd.DataFrame(units, columns=["organisation", "tier", "group"]),
        pd.DataFrame(found, columns=["organisation", "category"]),
    )


def hits(units: pd.DataFrame, found: pd.DataFrame, fdr: float) -> list[tuple[str, str, bool]]:
    """(group, category, cross-tier) of every hit, as the detector decides them."""
    pairs = pair_tests(units, found)
    if not pairs:
        return []
    q = discrete_bh([p for _, _, p, _ in pairs], [smallest_p(rows) for *_, rows in pairs], fdr)
    out = []
    for (group, category, _, rows), qv in zip(pairs, q, strict=True):
        if qv <= fdr:
            showing = sum(
                1
                for _, x, total, k, n in rows
                if x >= 2 and total > n and binomtest(x, n).proportion_ci(method="wilson").low > (k - x) / (total - n)
            )
            out.append((group, category, showing >= 2))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", type=int, default=200)
    parser.add_argument("--fdr", type=float, default=0.05)
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    started = time.perf_counter()
    out: dict = {"fdr": args.fdr, "worlds": args.worlds, "null": [], "power": []}
    print(f"Null worlds ({args.worlds} seeds each; nominal false-discovery rate {args.fdr}):")
    print(f"  {'kind':<12} {'systems':>7} {'units/tier':>10} {'worlds with a hit':>18} {'share of p<=0.05':>17}")
    for kind in ("clustered", "independent"):
        for systems, n in ((6, 5), (8, 10), (12, 20)):
            rng = np.random.default_rng(1000 + systems)
            any_hit, small, tested = 0, 0, 0
            for _ in range(args.worlds):
                units, found = world(rng, kind, systems, {"province": 1, "city": n, "county": 3 * n}, 15)
                any_hit += bool(hits(units, found, args.fdr))
                ps = [p for _, _, p, _ in pair_tests(units, found)]
                small += sum(p <= 0.05 for p in ps)
                tested += len(ps)
            rate = any_hit / args.worlds
            print(f"  {kind:<12} {systems:>7} {n:>4}/{3 * n:<5} {rate:>18.3f} {small / max(tested, 1):>17.4f}")
            out["null"].append(
                {
                    "kind": kind,
                    "systems": systems,
                    "city_units": n,
                    "county_units": 3 * n,
                    "worlds_with_hit": rate,
                    "share_p_below_005": small / max(tested, 1),
                }
            )
    print("\nPower (clustered worlds, 8 systems, 15 categories; the planted system's units get the category")
    print("with probability `effect` at every tier; share of worlds where it is found / found cross-tier;")
    print("false hits of all hits, and the false-discovery rate: the mean over worlds of false / hits):")
    print(f"  {'effect':>6} {'units/tier':>10} {'found':>6} {'cross-tier':>10} {'false/hits':>11} {'FDR':>8}")
    for effect in (0.2, 0.4, 0.6):
        for n in (5, 10, 20):
            rng = np.random.default_rng(int(effect * 100) + n)
            found_n, cross_n, false_hits, all_hits, fdp = 0, 0, 0, 0, 0.0
            worlds = args.worlds
            for _ in range(worlds):
                units, found = world(rng, "clustered", 8, {"city": n, "county": n}, 15, effect)
                h = hits(units, found, args.fdr)
                planted = [x for x in h if x[0] == "s0" and x[1] == "c0"]
                found_n += bool(planted)
                cross_n += bool(planted and planted[0][2])
                false_hits += len(h) - len(planted)
                all_hits += len(h)
                fdp += (len(h) - len(planted)) / max(len(h), 1)
            row = {
                "effect": effect,
                "units_per_tier": n,
                "found": found_n / worlds,
                "cross_tier": cross_n / worlds,
                "false_hits": false_hits,
                "hits": all_hits,
                "fdr": fdp / worlds,
                "worlds": worlds,
            }
            out["power"].append(row)
            print(
                f"  {effect:>6} {n:>10} {row['found']:>6.2f} {row['cross_tier']:>10.2f} "
                f"{false_hits:>5}/{all_hits:<5} {row['fdr']:>8.3f}"
            )
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{out['seconds']} s")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
