"""The generator's hard setting: each tidy assumption of the default world is broken, and the default is unchanged.

Each test measures a property of the generated world itself (never a detector's output), and most
measure the default world the same way, to show what the hard setting changes.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict

import pytest
from click.testing import CliRunner

from cli import main
from ingest.generator import generate, hard
from ingest.generator.scales import SCALES
from ingest.generator.truth import compute_truth
from ingest.generator.world import LEAF_WEIGHTS, LEAVES, World, build_world


@pytest.fixture(scope="module")
def hard_world() -> World:
    return build_world(SCALES["small"], 1, difficulty="hard")


@pytest.fixture(scope="module")
def default_world() -> World:
    return build_world(SCALES["small"], 1)


def _cv(amounts: list[float]) -> float:
    return statistics.pstdev(amounts) / statistics.mean(amounts)


def _honest_market_cvs(w: World) -> dict[tuple[str, str], float]:
    """Median coefficient of variation of honest tenders' bids, per market with at least five such tenders."""
    cvs: dict[tuple[str, str] | None, list[float]] = defaultdict(list)
    for t in w.tenders.values():
        if t.ring is None and len(t.bids) >= 3:
            cvs[t.market].append(_cv([b.amount for b in t.bids]))
    return {m: statistics.median(v) for m, v in cvs.items() if m is not None and len(v) >= 5}


def _ring_cvs(w: World) -> dict[int, float]:
    return {
        r.ring_id: statistics.median(_cv([b.amount for b in w.tenders[t].bids]) for t in r.tenders) for r in w.rings
    }


def _cover_margins(w: World) -> dict[int, list[float]]:
    """Per ring, each member bid's margin over the lowest member bid of its tender."""
    out: dict[int, list[float]] = {}
    for ring in w.rings:
        members = set(ring.members)
        margins = []
        for tid in ring.tenders:
            bids = sorted(b.amount for b in w.tenders[tid].bids if b.company_id in members)
            margins += [m / bids[0] - 1.0 for m in bids[1:]]
        out[ring.ring_id] = margins
    return out


# ------------------------------------------------------------------ the default is the default
def test_default_difficulty_writes_what_no_difficulty_writes(tmp_path):
    plain = generate("tiny", 4, tmp_path / "plain")
    default = generate("tiny", 4, tmp_path / "default", difficulty="default")
    assert plain.files == default.files
    assert sorted(p.name for p in plain.out.iterdir()) == sorted(p.name for p in default.out.iterdir())
    assert (plain.out / "truth.json").read_bytes() == (default.out / "truth.json").read_bytes()
    for name in plain.files:  # XLSX included: the exports are written byte for byte the same
        assert (plain.out / name).read_bytes() == (default.out / name).read_bytes(), name


def test_hard_at_tiny_scale_is_deterministic_for_a_seed(tmp_path):
    a = generate("tiny", 2, tmp_path / "a", difficulty="hard")
    b = generate("tiny", 2, tmp_path / "b", difficulty="hard")
    assert a.files == b.files and a.sizes == b.sizes
    for name in a.files:
        assert (a.out / name).read_bytes() == (b.out / name).read_bytes(), name
    truth = json.loads((a.out / "truth.json").read_text(encoding="utf-8"))
    assert truth == {
        **compute_truth(build_world(SCALES["tiny"], 2, difficulty="hard")),
        "entities_file": "truth_entities.csv",
    }
    assert truth != {
        **compute_truth(build_world(SCALES["tiny"], 3, difficulty="hard")),
        "entities_file": "truth_entities.csv",
    }
    assert truth != {**compute_truth(build_world(SCALES["tiny"], 2)), "entities_file": "truth_entities.csv"}


def test_unknown_difficulty_is_refused(tmp_path):
    with pytest.raises(ValueError, match="difficulty"):
        generate("tiny", 1, tmp_path / "x", difficulty="nightmare")  # type: ignore[arg-type]
    result = CliRunner().invoke(main, ["generate", "--scale", "tiny", "--difficulty", "x", "--out", str(tmp_path)])
    assert result.exit_code == 2 and "difficulty" in result.output


def test_cli_generates_hard_exports(tmp_path):
    out = tmp_path / "hard"
    result = CliRunner().invoke(
        main, ["generate", "--scale", "tiny", "--seed", "3", "--difficulty", "hard", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    truth = json.loads((out / "truth.json").read_text(encoding="utf-8"))
    assert truth == {
        **compute_truth(build_world(SCALES["tiny"], 3, difficulty="hard")),
        "entities_file": "truth_entities.csv",
    }


def test_truth_has_the_same_keys_and_row_shapes(hard_world, default_world):
    h, d = compute_truth(hard_world), compute_truth(default_world)
    assert list(h) == list(d)
    for key, rows in d.items():
        if isinstance(rows, list) and rows and h[key]:
            assert set(h[key][0]) == set(rows[0]), key
    assert set(h["targets"]) == set(d["targets"])


# -------------------------------------------------------------------------------- 1. prices
def test_markets_have_their_own_honest_dispersion(hard_world, default_world):
    hard_cvs, default_cvs = _honest_market_cvs(hard_world), _honest_market_cvs(default_world)
    assert len(hard_cvs) >= 20
    # Default: one spread everywhere (medians within a factor 2); hard: the widest market is many times the tightest.
    assert max(default_cvs.values()) / min(default_cvs.values()) < 2
    assert max(hard_cvs.values()) / min(hard_cvs.values()) > 5
    assert min(hard_cvs.values()) < 0.012 and max(hard_cvs.values()) > 0.06


def test_some_honest_markets_are_tighter_than_some_rings(hard_world, default_world):
    # Default: every ring's tenders are tighter than every honest market.
    assert max(_ring_cvs(default_world).values()) < min(_honest_market_cvs(default_world).values())
    honest, rings = _honest_market_cvs(hard_world), _ring_cvs(hard_world)
    assert min(honest.values()) < max(rings.values())
    # ... and some ring's tenders are more dispersed than the typical honest tender.
    assert max(rings.values()) > statistics.median(honest.values())


# ------------------------------------------------------------------------------ 2. rotation
def test_rotation_is_not_strict(hard_world):
    outsider_wins, skipped, lopsided = 0, 0, 0
    for ring in hard_world.rings:
        members = set(ring.members)
        wins: Counter[str] = Counter()
        present: Counter[str] = Counter()
        for tid in ring.tenders:
            tender = hard_world.tenders[tid]
            assert sum(1 for b in tender.bids if b.company_id in members) >= 2, "a ring tender has two members"
            winner = next(b.company_id for b in tender.bids if b.won)
            if winner in members:
                wins[winner] += 1
            else:
                outsider_wins += 1
            present.update(b.company_id for b in tender.bids if b.company_id in members)
        skipped += sum(1 for m in members if present[m] < len(ring.tenders))
        counts = [wins[m] for m in members]
        lopsided += max(counts) >= 3 and min(counts) == 0
    assert outsider_wins >= 3, "outsiders win some ring tenders"
    assert skipped >= len(hard_world.rings), "members skip tenders"
    assert lopsided >= 2, "in some rings one member wins often while another never does"


# ------------------------------------------------------------------------------- 3. margins
def test_cover_margins_vary_by_ring_and_include_wide_ones(hard_world):
    margins = _cover_margins(hard_world)
    medians = [statistics.median(m) for m in margins.values()]
    assert max(medians) / min(medians) > 5
    every = [m for ms in margins.values() for m in ms]
    assert min(every) < 0.01, "some cover bids sit within 1 % of the winner"
    assert max(every) > 0.25, "some cover bids sit far above"
    assert sum(m > 0.05 for m in every) >= 10, "wider than the default's 1-5 %"


# -------------------------------------------------------------------------------- 4. titles
def _entries(family_titles: list[hard.Title]) -> set[tuple[str, bool, bool]]:
    out = set()
    for title, _, leading, head in family_titles:
        for c in "省市县区":
            for t in "镇乡":
                for x in ("巡视", "巡察"):
                    out.add((title.replace("{c}", c).replace("{t}", t).replace("{x}", x), leading, head))
    return out


def test_post_titles_are_real_world_titles_with_the_generators_own_flags(hard_world):
    posts = [(post, hard_world.orgs[post.org_id]) for p in hard_world.people.values() for post in p.posts]
    titles = Counter(post.title for post, _ in posts)
    compound = sum(n for t, n in titles.items() if "、" in t)
    assert compound / sum(titles.values()) > 0.1
    for real in ("党组书记、局长", "副局长", "一级主任科员", "四级调研员", "党支部书记、村委会主任"):
        assert real in titles, real
    assert any("、" in t and t.count("、") >= 2 for t in titles), (
        "titles of three parts (县委常委、县纪委书记、县监委主任)"
    )
    # 主任 in the title does not make a leader: the ranks 主任科员 are not in the leading group.
    ranks = [post for post, _ in posts if "主任科员" in post.title]
    assert ranks and not any(post.leading or post.head for post in ranks)
    # Every post's flags are the generator's own, from its table for that kind of unit.
    for post, org in posts:
        heads, others = hard.TITLES[hard.title_family(org.name, org.kind)]
        allowed = _entries(hard.earlier_titles(org.name, org.kind) if post.end is not None else heads + others)
        assert (post.title, post.leading, post.head) in allowed, (org.name, post.title)
    # Each unit's first cadre is its head; deputies are in the leading group but are not heads.
    assert all(post.head is False for post, _ in posts if post.title in ("副局长", "党组成员、副局长", "副院长"))
    assert all(post.leading for post, _ in posts if post.title in ("副局长", "党组成员、副局长", "副院长"))


def test_default_titles_are_unchanged(default_world):
    titles = {post.title for p in default_world.people.values() for post in p.posts}
    assert titles <= {"书记", "主任", "副主任", "副书记", "科长"}


# ------------------------------------------------------------------------------ 5. findings
def _clustering(w: World) -> tuple[float, list[int]]:
    """Mean distinct categories per unit and tour, over what independent draws of the same counts would give."""
    total = sum(LEAF_WEIGHTS.values())
    shares = [LEAF_WEIGHTS[c] / total for c in LEAVES]
    by_unit: dict[tuple[str, str], list[str]] = defaultdict(list)
    for f in w.findings.values():
        if w.tours[f.tour_id].kind != "lookback" and w.orgs[f.org_id].tier != "village":
            by_unit[(f.tour_id, f.org_id)].append(f.category)
    seen = statistics.mean(len(set(cats)) for cats in by_unit.values())
    expected = statistics.mean(sum(1 - (1 - q) ** len(cats) for q in shares) for cats in by_unit.values())
    return seen / expected, [len(cats) for cats in by_unit.values()]


def test_findings_are_clustered_inside_units(hard_world, default_world):
    hard_ratio, counts = _clustering(hard_world)
    default_ratio, _ = _clustering(default_world)
    assert min(counts) >= 8 and max(counts) <= 20
    assert 0.9 < default_ratio < 1.1, "default: categories drawn independently"
    assert hard_ratio < 0.7, "hard: far fewer distinct categories than independent draws of as many findings"


# --------------------------------------------------------------------------------- 6. tiers
def test_some_systems_have_small_tiers(hard_world, default_world):
    def units(w: World) -> Counter[tuple[str | None, str]]:
        return Counter((o.system, o.tier) for o in w.orgs.values() if o.system and o.tier in ("city", "county"))

    assert min(units(default_world).values()) >= 12
    thin = {key: n for key, n in units(hard_world).items() if n <= 7}
    assert thin and all(4 <= n <= 6 for n in thin.values())
    cities = {o.region_code for o in hard_world.orgs.values() if o.tier == "city"}
    for (system, tier), _ in thin.items():
        regions = {o.region_code for o in hard_world.orgs.values() if o.system == system and o.tier == tier}
        everywhere = (
            cities if tier == "city" else {o.region_code for o in hard_world.orgs.values() if o.tier == "county"}
        )
        assert len(regions) < len(everywhere), "a thin system is missing from some regions"
