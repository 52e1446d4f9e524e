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

    python bench/calibration.py --worlds 100 --json bench/results/calibration.json    # about 5 minutes

Surges get the same treatment: null worlds where every region follows the province's trend with
overdispersed counts, and worlds with one region's count multiplied from one year on.

So do bid rings (``analyse_bids``, the engine of ``bids score`` and the ``bid-rings`` detector): null
markets where every price is honest but markets differ (each region its own honest dispersion, log-uniform
2%-15%; firms of unequal activity and persistent cost advantages; most bidders from the tender's own region),
and the same markets with one ring of 4 firms carving up some of its region's tenders, its covers either
tight (1-5% above the designated winner) or thrown far above it (2.5-4 times), the winner drawn at random
among the members present. A ring counts as found when a reported ring holds at least 3 of its members and
no more outsiders than members.

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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics.bids import analyse_bids  # noqa: E402
from analytics.systemic import discrete_bh, pair_tests, smallest_p, tier_shows  # noqa: E402

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


def hits(pairs: list, fdr: float) -> list[tuple[str, str, bool]]:
    """(group, category, cross-tier) of every hit among ``pair_tests``' pairs, as the detector decides them."""
    if not pairs:
        return []
    q = discrete_bh([p for _, _, p, _ in pairs], [smallest_p(rows) for *_, rows in pairs], fdr)
    return [
        (group, category, sum(tier_shows(*row[1:]) for row in rows) >= 2)
        for (group, category, _, rows), qv in zip(pairs, q, strict=True)
        if qv <= fdr
    ]


def surge_counts(
    rng: np.random.Generator, regions: int, phi: float, periods: int = 8, surge: float = 1.0, at: int = 5
) -> pd.DataFrame:
    """Counts per region and period: each region its own level, all following one trend (0.9x to 1.5x a
    period), negative binomial with variance ``phi`` times the mean; region r0 multiplied by ``surge`` from
    period ``at`` on (it stays high)."""
    level = rng.lognormal(np.log(15), 0.6, regions)
    trend = np.cumprod(np.r_[1.0, rng.uniform(0.9, 1.5, periods - 1)])
    mean = level[:, None] * trend[None, :]
    mean[0, at:] *= surge
    counts = rng.poisson(mean) if phi <= 1 else rng.negative_binomial(mean / (phi - 1), 1 / phi)
    return pd.DataFrame(
        counts, index=[f"r{i}" for i in range(regions)], columns=[str(2015 + t) for t in range(periods)]
    )


def surges(worlds: int, fdr: float) -> dict:
    from scipy.stats import false_discovery_control

    from analytics.surges import surge_tests

    out: dict = {"null": [], "power": []}
    print("\nSurges: null worlds (every region on the province's trend; 8 years; window 3):")
    print(f"  {'phi':>4} {'regions':>7} {'tests':>6} {'worlds with a hit':>18} {'share of p<=0.05':>17}")
    for phi in (1.0, 2.0, 4.0):
        for regions in (11, 30, 100):
            rng = np.random.default_rng(int(phi * 1000) + regions)
            any_hit, small, tests = 0, 0, 0
            for _ in range(worlds):
                t = surge_tests(surge_counts(rng, regions, phi))
                tests += len(t)
                small += int((t["p"] <= 0.05).sum())
                any_hit += bool(len(t) and (false_discovery_control(t["p"].to_numpy(), method="bh") <= fdr).any())
            row = {
                "phi": phi,
                "regions": regions,
                "tests": tests / worlds,
                "worlds_with_hit": any_hit / worlds,
                "share_p_below_005": small / max(tests, 1),
            }
            out["null"].append(row)
            print(
                f"  {phi:>4} {regions:>7} {tests / worlds:>6.0f} {row['worlds_with_hit']:>18.3f} "
                f"{row['share_p_below_005']:>17.4f}"
            )
    print("\nSurges: power (phi 2; region r0 multiplied from year 6 of 8 and staying there; share of worlds")
    print("where r0 is found in year 6 / in year 7 or 8; FDR: mean over worlds of false / hits, a hit of r0")
    print("from year 6 on being a true one):")
    print(f"  {'surge':>5} {'regions':>7} {'found':>6} {'again later':>11} {'FDR':>6}")
    for surge in (1.5, 2.0, 3.0):
        for regions in (30, 100):
            rng = np.random.default_rng(int(surge * 10) + regions)
            found, later, fdp = 0, 0, 0.0
            for _ in range(worlds):
                t = surge_tests(surge_counts(rng, regions, 2.0, surge=surge))
                q = false_discovery_control(t["p"].to_numpy(), method="bh")
                hits = t[q <= fdr]
                # r0 is above its trend from 2020 on: a hit there in a later year is a true one too.
                true = hits[(hits["group"] == "r0") & (hits["period"] >= "2020")]
                found += bool(len(true[true["period"] == "2020"]))
                later += bool(len(true[true["period"] > "2020"]))
                fdp += (len(hits) - len(true)) / max(len(hits), 1)
            row = {
                "surge": surge,
                "regions": regions,
                "found": found / worlds,
                "found_later": later / worlds,
                "fdr": fdp / worlds,
            }
            out["power"].append(row)
            print(f"  {surge:>5} {regions:>7} {row['found']:>6.2f} {row['found_later']:>11.2f} {row['fdr']:>6.3f}")
    return out


def bid_market(
    rng: np.random.Generator,
    regions: int = 4,
    firms: int = 15,
    tenders: int = 60,
    ring_tenders: int = 0,
    covers: tuple[float, float] = (1.01, 1.05),
) -> pd.DataFrame:
    """One procurement market of honest bids, optionally with one 4-firm ring in region 0 (firms R0-R3)."""
    rows = []
    names = [[f"F{r}-{i:02d}" for i in range(firms)] for r in range(regions)]
    activity = [rng.lognormal(0.0, 0.7, firms) for _ in range(regions)]
    cost_edge = {f: rng.normal(0.0, 0.03) for region in names for f in region}
    for r in range(regions):
        sigma = float(np.exp(rng.uniform(np.log(0.02), np.log(0.15))))
        for t in range(tenders):
            n = int(rng.integers(3, 9))
            weights = activity[r] / activity[r].sum()
            local = rng.choice(names[r], size=min(n, firms), replace=False, p=weights).tolist()
            if rng.random() < 0.1:  # a firm from another region
                other = names[(r + 1) % regions]
                local[-1] = str(rng.choice(other))
            cost = rng.uniform(1e5, 5e6)
            amounts = [cost * np.exp(cost_edge[f] + rng.normal(0.0, sigma)) for f in local]
            low = int(np.argmin(amounts))
            tender = f"T{r}-{t:03d}"
            day = f"{2021 + t % 3}-{1 + t % 12:02d}-15"
            rows += [
                (tender, f, a, i == low, f"buyer{r}-{t % 3}", f"region{r}", day)
                for i, (f, a) in enumerate(zip(local, amounts, strict=True))
            ]
    ring = ["R0", "R1", "R2", "R3"]
    for t in range(ring_tenders):
        members = [m for m in ring if rng.random() < 0.85] or ring[:2]
        members = members if len(members) >= 2 else ring[:2]
        winner = str(rng.choice(members))
        outsiders = rng.choice(names[0], size=int(rng.integers(0, 3)), replace=False).tolist()
        cost = rng.uniform(1e5, 5e6)
        price = cost * rng.uniform(0.9, 1.0)
        tender = f"RT-{t:03d}"
        day = f"{2021 + t % 3}-{1 + t % 12:02d}-20"
        for f in members:
            amount = price if f == winner else price * rng.uniform(*covers)
            rows.append((tender, f, amount, f == winner, f"buyer0-{t % 3}", "region0", day))
        for f in outsiders:
            rows.append(
                (
                    tender,
                    f,
                    cost * np.exp(cost_edge[f] + rng.normal(0.0, 0.08)),
                    False,
                    f"buyer0-{t % 3}",
                    "region0",
                    day,
                )
            )
    return pd.DataFrame(rows, columns=["tender", "bidder", "amount", "winner", "buyer", "trade", "date"])


def ring_found(rings: pd.DataFrame) -> bool:
    planted = {"R0", "R1", "R2", "R3"}
    for members in rings["members"]:
        inside = planted & set(members)
        if len(inside) >= 3 and len(members) - len(inside) <= len(inside):
            return True
    return False


def bid_rings(worlds: int, fdr: float) -> dict:
    out: dict = {"null": [], "power": []}
    print(f"\nBid rings, null markets ({worlds} each; the engine's pair test at false-discovery rate {fdr}):")
    print(f"  {'regions':>7} {'direction':>9} {'markets with a ring':>20} {'share of pair p<=0.05':>22}")
    for regions in (2, 4, 8):
        for direction in ("both", "tight"):
            rng = np.random.default_rng(7000 + regions)
            with_ring, small, tested = 0, 0, 0
            for _ in range(worlds):
                found = analyse_bids(bid_market(rng, regions=regions), direction=direction, alpha=fdr)
                with_ring += bool(len(found.rings))
                small += int((found.pairs["p"] <= 0.05).sum())
                tested += len(found.pairs)
            row = {
                "regions": regions,
                "direction": direction,
                "markets_with_ring": with_ring / worlds,
                "share_p_below_005": small / max(tested, 1),
                "worlds": worlds,
            }
            out["null"].append(row)
            print(f"  {regions:>7} {direction:>9} {row['markets_with_ring']:>20.3f} {row['share_p_below_005']:>22.4f}")
    print("\nBid rings, power (4 regions; one ring of 4 firms in region 0; share of markets where it is found,")
    print("and markets with a ring that is not it):")
    print(f"  {'covers':>12} {'ring tenders':>12} {'direction':>9} {'found':>6} {'other rings':>11}")
    for label, covers in (("1-5% above", (1.01, 1.05)), ("2.5-4x", (2.5, 4.0))):
        for k in (8, 16, 32):
            for direction in ("both", "tight", "dispersed"):
                rng = np.random.default_rng(9000 + k)
                found_n, other = 0, 0
                for _ in range(worlds):
                    found = analyse_bids(bid_market(rng, ring_tenders=k, covers=covers), direction=direction, alpha=fdr)
                    hit = ring_found(found.rings)
                    found_n += hit
                    other += len(found.rings) > int(hit)
                row = {
                    "covers": label,
                    "ring_tenders": k,
                    "direction": direction,
                    "found": found_n / worlds,
                    "markets_with_other_rings": other / worlds,
                    "worlds": worlds,
                }
                out["power"].append(row)
                print(
                    f"  {label:>12} {k:>12} {direction:>9} {row['found']:>6.2f} "
                    f"{row['markets_with_other_rings']:>11.2f}"
                )
    return out


def systemic(worlds: int, fdr: float, out: dict) -> None:
    print(f"Null worlds ({worlds} seeds each; nominal false-discovery rate {fdr}):")
    print(f"  {'kind':<12} {'systems':>7} {'units/tier':>10} {'worlds with a hit':>18} {'share of p<=0.05':>17}")
    for kind in ("clustered", "independent"):
        for systems, n in ((6, 5), (8, 10), (12, 20)):
            rng = np.random.default_rng(1000 + systems)
            any_hit, small, tested = 0, 0, 0
            for _ in range(worlds):
                units, found = world(rng, kind, systems, {"province": 1, "city": n, "county": 3 * n}, 15)
                pairs = pair_tests(units, found)
                any_hit += bool(hits(pairs, fdr))
                ps = [p for _, _, p, _ in pairs]
                small += sum(p <= 0.05 for p in ps)
                tested += len(ps)
            rate = any_hit / worlds
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
            for _ in range(worlds):
                units, found = world(rng, "clustered", 8, {"city": n, "county": n}, 15, effect)
                h = hits(pair_tests(units, found), fdr)
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", type=int, default=200)
    parser.add_argument("--fdr", type=float, default=0.05)
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--only", choices=["systemic", "surges", "bid-rings"], help="run one part")
    args = parser.parse_args()
    started = time.perf_counter()
    out: dict = {"fdr": args.fdr, "worlds": args.worlds, "null": [], "power": []}
    if args.only in (None, "systemic"):
        systemic(args.worlds, args.fdr, out)
    if args.only in (None, "surges"):
        out["surges"] = surges(args.worlds, args.fdr)
    if args.only in (None, "bid-rings"):
        out["bid_rings"] = bid_rings(args.worlds, args.fdr)
    out["seconds"] = round(time.perf_counter() - started, 1)
    print(f"\n{out['seconds']} s")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
