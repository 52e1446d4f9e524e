"""An entity is named by the spelling its records agree on, never by a misspelt minority record."""

from __future__ import annotations

import pandas as pd

from analytics.graphview import _agreed_names


def _names(rows):
    ids, names, authority = zip(*rows, strict=True)
    return _agreed_names(pd.Series(ids), pd.Series(names), pd.Series(authority)).to_dict()


def test_the_majority_spelling_names_the_entity_and_a_slip_never_does():
    rows = [("a", "中共上城区田花乡委员会", 0)] * 3 + [("a", "中共上城区田花乡员会", 2)]
    assert _names(rows) == {"a": "中共上城区田花乡委员会"}


def test_a_place_less_form_supports_the_full_name():
    # An office writes its own unit bare three times; two other offices write it in full.
    rows = [("b", "民政局", 0)] * 3 + [("b", "温州市民政局", 0)] * 2 + [("b", "温州市敏政局", 0)]
    assert _names(rows) == {"b": "温州市民政局"}


def test_short_and_full_party_committee_names_agree_and_the_full_one_is_shown():
    rows = [("c", "宁波市委", 0)] * 4 + [("c", "中共宁波市委员会", 1)]
    assert _names(rows) == {"c": "中共宁波市委员会"}


def test_ties_go_to_the_authoritative_record_then_the_same_answer_in_any_order():
    rows = [("d", "华瑞建筑工程有限公司", 1), ("d", "华端建筑工程有限公司", 0)]
    assert _names(rows) == {"d": "华瑞建筑工程有限公司"}
    assert _names(list(reversed(rows))) == {"d": "华瑞建筑工程有限公司"}
    # No authority either side: the choice still does not depend on the order records come in.
    plain = [("e", "张三丰", 0), ("e", "张三峰", 0)]
    assert _names(plain) == _names(list(reversed(plain)))


def test_entities_spelt_one_way_are_left_alone():
    assert _names([("f", "某某局", 0), ("f", "某某局", 1)]) == {}
