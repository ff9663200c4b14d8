import json
import math

import numpy as np

from spare3d.evaluate import Evaluation, confusion_matrix, wilson_interval


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
