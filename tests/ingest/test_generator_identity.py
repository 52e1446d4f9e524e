"""Synthetic identities: valid codes, realistic names and addresses, and deterministic, well-formed mess."""

from __future__ import annotations

import datetime as dt
import random
import re
from collections import Counter

import pytest
from stdnum.cn import ric as std_ric
from stdnum.cn import uscc as std_uscc

from ingest.generator import identity
from ingest.generator.identity import (
    DATE_STYLES,
    abbreviate_org,
    address,
    company_name,
    corrupt_check_character,
    format_date,
    messy_full_width,
    person_name,
    phone,
    resident_id,
    strip_region_prefix,
    to_full_width,
    typo,
    uscc,
)

# Codes whose county existed from 1989 on, so stdnum accepts them for every birth date drawn below.
REGIONS = ["330782", "330783", "330702", "330102", "330727"]
USCC_ALPHABET = set("0123456789ABCDEFGHJKLMNPQRTUWXY")


def _birth(rng: random.Random) -> dt.date:
    return dt.date(1989, 1, 1) + dt.timedelta(days=rng.randrange(365 * 35))


def _ids(seed: int, n: int = 1000) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        gender = rng.choice(["male", "female"])
        out.append((gender, resident_id(rng, rng.choice(REGIONS), _birth(rng), gender)))
    return out


def _gb11714_ok(org: str) -> bool:
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in org[:8]]
    total = sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2), strict=True))
    check = 11 - total % 11
    return org[8] == {10: "X", 11: "0"}.get(check, str(check))


# --- codes ----------------------------------------------------------------------------------------


def test_resident_ids_are_valid_and_carry_region_birth_date_and_gender():
    rng = random.Random(7)
    for _ in range(1000):
        gender = rng.choice(["male", "female"])
        region, born = rng.choice(REGIONS), _birth(rng)
        number = resident_id(rng, region, born, gender)
        assert len(number) == 18 and std_ric.is_valid(number), number
        assert number[:6] == region
        assert std_ric.get_birth_date(number) == born
        assert int(number[16]) % 2 == (1 if gender == "male" else 0), (gender, number)
        assert number[14:17] != "000"


def test_resident_id_genders_use_all_parity_digits():
    digits = Counter((g, n[16]) for g, n in _ids(3, 2000))
    assert {d for g, d in digits if g == "male"} == set("13579")
    assert {d for g, d in digits if g == "female"} == set("02468")


def test_resident_id_check_digit_is_right_even_where_stdnum_rejects_the_region_for_the_birth_year():
    number = resident_id(random.Random(1), "330782", dt.date(1970, 6, 15), "male")
    assert number[-1] == std_ric.calc_check_digit(number)
    # 义乌市 330782 was created in 1989, and stdnum checks the code existed in the birth year.
    assert not std_ric.is_valid(number)


@pytest.mark.parametrize(
    ("region", "born", "gender"),
    [
        ("33078", dt.date(1990, 1, 1), "male"),
        ("33078a", dt.date(1990, 1, 1), "male"),
        ("330782", dt.date(1990, 1, 1), "m"),
        ("330782", dt.date(1990, 1, 1), "Female"),
    ],
)
def test_resident_id_rejects_bad_arguments(region, born, gender):
    with pytest.raises(ValueError):
        resident_id(random.Random(0), region, born, gender)


def test_usccs_are_valid_with_a_valid_organisation_code():
    rng = random.Random(11)
    kinds: Counter[str] = Counter()
    styles: Counter[bool] = Counter()
    for _ in range(1000):
        region = rng.choice(REGIONS)
        code = uscc(rng, region)
        assert len(code) == 18 and std_uscc.is_valid(code), code
        assert code[0] == "9" and code[2:8] == region
        assert set(code) <= USCC_ALPHABET
        assert _gb11714_ok(code[8:17]), code
        kinds[code[1]] += 1
        styles[code[8:10] == "MA"] += 1
    assert set(kinds) == {"1", "2", "3"}
    assert kinds["1"] > 800
    assert styles[True] > 400 and styles[False] > 250


def test_organisation_code_check_matches_a_published_example():
    # 91110000600037341L (the stdnum doctest example) carries organisation code 60003734-1.
    assert identity._org_code_check("60003734") == "1"


@pytest.mark.parametrize("make", ["ric", "uscc"])
def test_corrupted_check_character_always_fails_validation(make):
    rng = random.Random(5)
    for _ in range(1000):
        if make == "ric":
            code = resident_id(rng, "330782", _birth(rng), "female")
            valid = std_ric.is_valid
            alphabet = set("0123456789X")
        else:
            code = uscc(rng, "330782")
            valid = std_uscc.is_valid
            alphabet = USCC_ALPHABET
        bad = corrupt_check_character(rng, code)
        assert bad[:-1] == code[:-1] and bad[-1] != code[-1]
        assert bad[-1] in alphabet
        assert not valid(bad), (code, bad)


def test_corrupted_check_characters_vary():
    rng = random.Random(2)
    code = uscc(rng, "330782")
    assert len({corrupt_check_character(rng, code)[-1] for _ in range(300)}) > 10


# --- determinism ----------------------------------------------------------------------------------


def _sample(seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(30):
        gender = rng.choice(["male", "female"])
        name = person_name(rng, gender)
        out += [
            name,
            typo(rng, name),
            resident_id(rng, "330782", _birth(rng), gender),
            uscc(rng, "330782"),
            company_name(rng, "义乌市"),
            phone(rng),
            phone(rng, "0579"),
            address(rng, "义乌市"),
            format_date(rng, _birth(rng)),
            messy_full_width(rng, "Tel: 0579-85551234"),
        ]
    return out


def test_same_seed_same_output_other_seed_other_output():
    assert _sample(42) == _sample(42)
    other = _sample(43)
    assert other != _sample(42)
    assert sum(a != b for a, b in zip(_sample(42), other, strict=True)) > 250


def test_global_random_state_is_untouched():
    random.seed(123)
    expected = random.random()
    random.seed(123)
    _sample(1)
    assert random.random() == expected


# --- names ----------------------------------------------------------------------------------------


def test_names_collide_at_scale_but_are_mostly_unique():
    rng = random.Random(2024)
    names = [person_name(rng, rng.choice(["male", "female"])) for _ in range(20_000)]
    counts = Counter(names)
    assert sum(1 for c in counts.values() if c > 1) > 50  # same-name people are a real matching hazard
    assert len(counts) / len(names) > 0.8


def test_name_shape_and_surname_frequency():
    rng = random.Random(9)
    names = [person_name(rng, rng.choice(["male", "female"])) for _ in range(10_000)]
    assert all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n) for n in names)
    surnames = Counter(n[:2] if n[:2] in identity._COMPOUND_SURNAMES else n[0] for n in names)
    assert surnames["王"] > surnames["郑"] > surnames["鲍"]
    assert 0.04 < surnames["王"] / len(names) < 0.10
    assert len(surnames) > 90
    given_lengths = Counter(len(n) - (2 if n[:2] in identity._COMPOUND_SURNAMES else 1) for n in names)
    assert 0.15 < given_lengths[1] / len(names) < 0.25
    assert given_lengths[2] / len(names) > 0.75


def test_surname_table_is_large_and_includes_rare_compounds():
    surnames = [s for s, _ in identity._SURNAMES]
    assert len(surnames) >= 120 and len(set(surnames)) == len(surnames)
    assert {"欧阳", "上官"} <= set(surnames)
    weights = dict(identity._SURNAMES)
    assert weights["欧阳"] < weights["韦"] and weights["上官"] < weights["欧阳"]


def test_given_names_lean_by_gender():
    rng = random.Random(4)
    male = Counter(c for _ in range(3000) for c in person_name(rng, "male")[1:])
    female = Counter(c for _ in range(3000) for c in person_name(rng, "female")[1:])
    assert male["伟"] > 10 * female["伟"]
    assert female["芳"] > 10 * male["芳"]


def test_person_name_rejects_unknown_gender():
    with pytest.raises(ValueError):
        person_name(random.Random(0), "M")


# --- companies, phones, addresses -----------------------------------------------------------------


def test_company_names_have_place_trade_industry_and_legal_form():
    rng = random.Random(8)
    names = [company_name(rng, "义乌市") for _ in range(2000)]
    form = re.compile(r"(?:义乌市|义乌|浙江)?[\u4e00-\u9fff]{2}[\u4e00-\u9fff]+(?:有限公司|有限责任公司|股份有限公司)")
    assert all(form.fullmatch(n) for n in names)
    prefixes = Counter(next((p for p in ("义乌市", "义乌", "浙江") if n.startswith(p)), "") for n in names)
    assert all(prefixes[p] > 50 for p in ("义乌市", "义乌", "浙江", ""))
    forms = Counter(
        "股份" if n.endswith("股份有限公司") else "责任" if n.endswith("有限责任公司") else "有限" for n in names
    )
    assert forms["有限"] > forms["责任"] > 0 and forms["股份"] > 0
    assert len(set(names)) > 1900


def test_company_name_uses_given_industry():
    rng = random.Random(3)
    for _ in range(200):
        name = company_name(rng, "义乌市", "环卫科技")
        assert re.search(r"环卫科技(?:有限公司|有限责任公司|股份有限公司)$", name), name


def test_trade_characters_and_industries_are_varied():
    assert len(identity._TRADE_CHARS) >= 80
    assert {"环境服务", "建设工程", "物业管理", "信息技术", "园林绿化", "市政工程", "劳务"} <= set(identity._INDUSTRIES)


def test_mobile_numbers():
    rng = random.Random(6)
    numbers = [phone(rng) for _ in range(1000)]
    assert all(re.fullmatch(r"1(?:3\d|5[0-35-9]|7[035-8]|8\d|9[13589])\d{8}", n) for n in numbers)
    assert len({n[:2] for n in numbers}) == 5


@pytest.mark.parametrize(("area", "pattern"), [("0579", r"0579-[2-9]\d{6,7}"), ("010", r"010-[2-9]\d{7}")])
def test_landlines(area, pattern):
    rng = random.Random(6)
    assert all(re.fullmatch(pattern, phone(rng, area)) for _ in range(500))


@pytest.mark.parametrize("area", ["579", "05791", "0x79", ""])
def test_bad_area_codes_are_rejected(area):
    with pytest.raises(ValueError):
        phone(random.Random(0), area)


def test_addresses():
    rng = random.Random(12)
    addresses = [address(rng, "义乌市") for _ in range(1000)]
    form = re.compile(
        r"义乌市[\u4e00-\u9fff]{2,3}(?:街道|镇)[\u4e00-\u9fff]{2,3}(?:路|街|大道)\d{1,4}号(?:\d{1,2}幢\d{3,4}室)?"
    )
    assert all(form.fullmatch(a) for a in addresses), [a for a in addresses if not form.fullmatch(a)][:3]
    with_room = sum(a.endswith("室") for a in addresses)
    assert 150 < with_room < 450
    assert any("镇" in a for a in addresses) and any("街道" in a for a in addresses)


# --- mess -----------------------------------------------------------------------------------------


def test_to_full_width():
    assert to_full_width("ABC 123") == "ＡＢＣ\u3000１２３"
    assert to_full_width("义乌市(稠城)No.5, Tel:0579-1") == "义乌市（稠城）Ｎｏ．５，\u3000Ｔｅｌ：０５７９－１"
    assert to_full_width("~!") == "～！"


def test_messy_full_width_mixes_and_respects_extremes():
    rng = random.Random(1)
    text = "ABC 123 def-456"
    assert messy_full_width(rng, text, 0.0) == text
    assert messy_full_width(rng, text, 1.0) == to_full_width(text)
    mixed = [messy_full_width(rng, text) for _ in range(50)]
    assert all(len(m) == len(text) for m in mixed)
    assert all(a == b or to_full_width(a) == b for m in mixed for a, b in zip(text, m, strict=True))
    changed = [sum(a != b for a, b in zip(text, m, strict=True)) for m in mixed]
    assert any(0 < c < len(text) for c in changed)
    with pytest.raises(ValueError):
        messy_full_width(rng, text, 1.5)


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("iso", "2023-05-01"),
        ("slash", "2023/05/01"),
        ("dot", "2023.5.1"),
        ("chinese", "2023年5月1日"),
        ("compact", "20230501"),
    ],
)
def test_date_styles(style, expected):
    assert format_date(random.Random(0), dt.date(2023, 5, 1), style) == expected


def test_random_date_style_uses_every_style():
    rng = random.Random(0)
    d = dt.date(2023, 12, 25)
    seen = {format_date(rng, d) for _ in range(200)}
    assert seen == {format_date(rng, d, s) for s in DATE_STYLES}
    with pytest.raises(ValueError):
        format_date(rng, d, "roman")


def test_typo_always_differs_and_stays_close():
    rng = random.Random(77)
    kinds: Counter[str] = Counter()
    for _ in range(200):
        name = person_name(rng, rng.choice(["male", "female"]))
        bad = typo(rng, name)
        assert bad != name
        if len(bad) == len(name):
            diff = [i for i, (a, b) in enumerate(zip(name, bad, strict=True)) if a != b]
            if sorted(bad) == sorted(name):
                kinds["swap"] += 1
                assert len(diff) == 2 and diff[1] == diff[0] + 1
            else:
                kinds["confuse"] += 1
                assert len(diff) == 1 and bad[diff[0]] in identity._CONFUSABLE[name[diff[0]]]
        elif len(bad) == len(name) - 1:
            kinds["drop"] += 1
            assert len(name) >= 3
        else:
            kinds["space"] += 1
            assert bad.replace("\u3000", "") == name
    assert kinds["confuse"] > 100 and kinds["swap"] + kinds["drop"] > 0


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("王明", {"汪明", "王铭"}),
        ("李季", {"季季", "李李"}),
        ("邱坤", {"邱\u3000坤"}),
        ("邱\u3000坤", {"邱坤"}),
        ("邱坤莎", {"邱莎坤", "邱坤", "邱莎"}),
        ("欧阳坤", {"欧阳\u3000坤"}),
        ("欧阳明", {"欧阳铭"}),
        ("欧阳坤莎", {"欧阳莎坤", "欧阳坤", "欧阳莎"}),
    ],
)
def test_typo_kinds(name, allowed):
    rng = random.Random(0)
    results = {typo(rng, name) for _ in range(100)}
    assert results <= allowed and name not in results


def test_confusion_table_is_large_and_symmetric():
    assert len(identity._CONFUSABLE_PAIRS) >= 30
    for a, alts in identity._CONFUSABLE.items():
        assert a not in alts
        assert all(a in identity._CONFUSABLE[b] for b in alts)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("义乌市城市管理委员会", "义乌市城管委"),
        ("义乌市城市管理局", "义乌市城管局"),
        ("义乌市供销合作社联合社", "义乌市供销社"),
        ("浙江省供销合作社联合社", "浙江省供销社"),
        ("东阳市供销合作社", "东阳市供销社"),
        ("义乌市人民政府", "义乌市政府"),
        ("中共义乌市委员会", "义乌市委"),
        ("中国共产党义乌市委员会", "义乌市委"),
        ("中共磐安县委员会", "磐安县委"),
        ("中共浙江省委员会", "浙江省委"),
        ("中共义乌市纪律检查委员会", "义乌市纪委"),
        ("义乌市纪律检查委员会", "义乌市纪委"),
        ("义乌市发展和改革委员会", "义乌市发改委"),
        ("义乌市教育局", None),
        ("义乌市卫生健康委员会", "义乌市卫健委"),
        ("义乌市交通运输局", "义乌市交通局"),
        ("义乌市自然资源和规划局", "义乌市自然资源局"),
        ("义乌市住房和城乡建设局", "义乌市住建局"),
        ("义乌市人力资源和社会保障局", "义乌市人社局"),
        ("义乌市农业农村局", "义乌市农业局"),
        ("义乌市市场监督管理局", "义乌市市场监管局"),
        ("义乌市综合行政执法局", "义乌市综合执法局"),
        ("义乌市公共资源交易中心", None),
        ("义乌市洁城环境服务有限公司", None),
        ("浙江绿源环卫科技有限公司", None),
        ("义乌市城投建设有限责任公司", None),
        ("中国人民政治协商会议义乌市委员会", "义乌市政协"),
        ("城市管理委员会", "城管委"),
    ],
)
def test_abbreviate_org(name, expected):
    assert abbreviate_org(name) == expected


def test_abbreviate_org_is_idempotent_on_abbreviations():
    assert abbreviate_org("义乌市城管委") is None
    assert abbreviate_org("义乌市委") is None


@pytest.mark.parametrize(
    ("name", "regions", "expected"),
    [
        ("义乌市城市管理委员会", ["义乌市", "金华市"], "城市管理委员会"),
        ("义乌市城市管理委员会", ["义乌", "义乌市"], "城市管理委员会"),
        ("浙江省金华市城市管理局", ["浙江省", "浙江省金华市", "金华市"], "城市管理局"),
        ("金华市义乌市教育局", ["义乌市"], "金华市义乌市教育局"),
        ("中共义乌市委员会", ["义乌市"], "中共义乌市委员会"),
        ("义乌市", ["义乌市"], "义乌市"),
        ("义乌市教育局", [], "义乌市教育局"),
    ],
)
def test_strip_region_prefix(name, regions, expected):
    assert strip_region_prefix(name, regions) == expected
