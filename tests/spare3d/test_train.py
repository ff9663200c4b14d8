import json

import torch

from spare3d.checkpoint import load_model
from spare3d.datasets import DrawingSet
from spare3d.evaluate import evaluate
from spare3d.models import NetConfig, build_model
from spare3d.train import TrainSettings, fit


def test_pose_pretext_beats_chance_on_i2p_and_resumes(data_root, tmp_path):
    """Pose pretext on the easy synthetic set, evaluated directly on I2P (chance = 25%)."""
    torch.manual_seed(0)
    net = build_model(NetConfig("pose", task="i2p", width=8, image_size=16, hidden=16))
    train = DrawingSet.open(data_root, "poses", "train", 16)
    valid = DrawingSet.open(data_root, "poses", "valid", 16)
    settings = TrainSettings(epochs=1, batch_size=16, lr=2e-3, precision="fp32")
    device = torch.device("cpu")
    fit(net, "poses", train, valid, tmp_path, settings, device)
    history = json.loads((tmp_path / "history.json").read_text())
    assert [h["epoch"] for h in history] == [0]
    settings.epochs = 3
    best = fit(net, "poses", train, valid, tmp_path, settings, device, resume=True)
    history = json.loads((tmp_path / "history.json").read_text())
    assert [h["epoch"] for h in history] == [0, 1, 2]
    assert history[-1]["loss"] < history[0]["loss"]
    trained, meta = load_model(best)
    questions = DrawingSet.open(data_root, "i2p", "test", 16)
    summary = evaluate(trained, questions, "i2p", "test", device, precision="fp32").summary()
    assert summary["n"] == 12
    assert summary["accuracy"] >= 0.75, summary
