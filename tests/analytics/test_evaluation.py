"""Scoring helpers: set scores, pair sets, what evaluation requires of detectors' parameters."""

from __future__ import annotations

from analytics.base import Detection, DetectorResult
from analytics.evaluation import _pairs, evaluation_params, score_sets


def test_score_sets():
    assert score_sets({1, 2, 3}, {2, 3, 4}) == {
        "precision": 0.6667,
        "recall": 0.6667,
        "f1": 0.6667,
        "predicted": 3,
        "true": 3,
        "hits": 2,
    }
    assert score_sets(set(), set())["f1"] == 1.0  # nothing to find, nothing found
    assert score_sets(set(), {1})["recall"] == 0.0 and score_sets({1}, set())["precision"] == 0.0


def test_pairs_of_groups():
    assert _pairs([["b", "a", "c"], ["d"]]) == {("a", "b"), ("a", "c"), ("b", "c")}


def test_evaluation_params_judge_deadlines_and_targets_when_the_truth_says():
    truth = {"as_of": "2024-12-31", "targets": {"round_start": "2024-09-01", "inspected": []}}
    params = evaluation_params(truth)
    assert params["overdue-transfers"] == {"as_of": "2024-12-31"}
    assert params["targets"] == {"as_of": "2024-09-01", "top": None}


def test_result_json_round_trip():
    d = Detection(
        "recurrence",
        "recurrence",
        "r1->f2",
        1.5,
        "back again",
        where={"findings": ("f1", "f2")},
        details={"days_after": 40},
    )
    result = DetectorResult("recurrence", [d], params={"within_days": None})
    again = DetectorResult.from_json(result.to_json())
    assert again.detections == [d] and again.params == {"within_days": None}
    assert list(result.to_frame().columns)[:4] == ["subject", "kind", "score", "summary"]


def test_result_plot_is_a_plotly_figure():
    dets = [Detection("recurrence", "recurrence", f"s{i}", float(i), f"finding {i} back again") for i in range(30)]
    fig = DetectorResult("recurrence", dets).plot(top=5)
    assert list(fig.data[0].x) == [25.0, 26.0, 27.0, 28.0, 29.0]  # strongest at the top of a horizontal bar
    assert "30 found" in fig.layout.title.text
