import json
import math

import numpy as np

from spare3d.evaluate import Evaluation, confusion_matrix, wilson_interval


def test_wilson_interval_contains_the_proportion_and_reaches_the_ends():
    """The interval always holds k/n, and is closed at 0 for k = 0 and at 1 for k = n (in floating point
    the formula's lower bound at k = 0 can be an ulp above 0, which made report error bars negative)."""
    for n in range(1, 300):
        for k in range(n + 1):
            low, high = wilson_interval(k, n)
            assert low <= k / n <= high
        assert wilson_interval(0, n)[0] == 0.0 and wilson_interval(n, n)[1] == 1.0


def test_wilson_interval_known_values():
    low, high = wilson_interval(8, 10)
    assert math.isclose(low, 0.4902, abs_tol=1e-4) and math.isclose(high, 0.9433, abs_tol=1e-4)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 20)
    assert low == 0.0 and 0.15 < high < 0.17


def test_confusion_and_jsonl(tmp_path):
    labels = np.array([0, 1, 2, 3, 3])
    scores = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0]], float)
    result = Evaluation("p2i", "test", ["a", "b", "c", "d", "e"], labels, scores)
    assert confusion_matrix(labels, result.preds)[3].tolist() == [1, 0, 0, 1]
    summary = result.summary()
    assert (summary["correct"], summary["n"]) == (3, 5)
    lines = [json.loads(line) for line in result.write_jsonl(tmp_path / "p.jsonl").read_text().splitlines()]
    assert lines[1] == {
        "id": "b",
        "task": "p2i",
        "split": "test",
        "label": 1,
        "pred": 2,
        "scores": [0.0, 0.0, 1.0, 0.0],
        "correct": False,
    }
    assert sum(line["correct"] for line in lines) == 3


def test_breakdown_counts_each_group_with_its_interval():
    labels = np.array([0, 1, 2, 3, 0])
    scores = np.eye(4)[[0, 1, 0, 3, 1]]  # questions a, b, d right; c, e wrong
    groups = {
        "difficulty": {"a": "clear", "b": "clear", "c": "hidden-only", "d": "subtle", "e": "hidden-only"}
    }
    result = Evaluation("t2i", "test", ["a", "b", "c", "d", "e"], labels, scores, groups)
    by = result.summary()["by_difficulty"]
    assert {k: (v["correct"], v["n"]) for k, v in by.items()} == {
        "clear": (2, 2),
        "hidden-only": (0, 2),
        "subtle": (1, 1),
    }
    assert (by["clear"]["ci_low"], by["clear"]["ci_high"]) == wilson_interval(2, 2)


def test_a_corrupt_manifest_is_named(tmp_path):
    import pytest

    from spare3d.evaluate import _manifest_questions
    from spare3d.layout import LayoutError

    (tmp_path / "test").mkdir()
    (tmp_path / "manifest.json").write_text("{bad")
    with pytest.raises(LayoutError, match="manifest.json: not a render dataset manifest"):
        _manifest_questions(tmp_path / "test")
    assert _manifest_questions(tmp_path / "missing" / "test") == {}
