import pytest
import torch

from spare3d.models import DEFAULT_MODEL, MODELS, NetConfig, build_model
from spare3d.models.encoders import VGGEncoder, vgg_blocks

CASES = [
    ("view-comparison", "t2i"),
    ("hull-matcher", "t2i"),
    ("pose", "i2p"),
    ("pose", "p2i"),
    ("hull-pose", "i2p"),
    ("hull-pose", "p2i"),
    ("early-fusion", "t2i"),
    ("early-fusion", "p2i"),
    ("metric", "t2i"),
    ("metric", "p2i"),
    ("i2p-classifier", "i2p"),
]


def _batch(b: int = 3, size: int = 32) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "views": torch.rand(b, 3, size, size, generator=g),
        "candidates": torch.rand(b, 4, size, size, generator=g),
        "iso": torch.rand(b, size, size, generator=g),
        "pose": torch.tensor([0, 4, 7])[:b],
        "label": torch.tensor([1, 3, 0])[:b],
    }


def _net(model: str, task: str, **kw) -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(NetConfig(model, task=task, width=16, image_size=32, hidden=32, **kw)).eval()


@pytest.mark.parametrize("model,task", CASES)
def test_scores_shape_and_loss(model, task):
    net = _net(model, task)
    batch = _batch()
    scores = net.score(task, batch)
    assert scores.shape == (3, 4)
    loss = net.task_loss(task, scores, batch["label"])
    assert loss.ndim == 0 and torch.isfinite(loss)


@pytest.mark.parametrize("model,task", [c for c in CASES if c[1] != "i2p"])
def test_permuting_candidates_permutes_scores(model, task):
    net = _net(model, task)
    batch = _batch()
    perm = torch.tensor([2, 0, 3, 1])
    with torch.no_grad():
        scores = net.score(task, batch)
        permuted = net.score(task, {**batch, "candidates": batch["candidates"][:, perm]})
    torch.testing.assert_close(permuted, scores[:, perm], rtol=1e-4, atol=1e-5)


def test_pose_scores_pick_the_right_logits():
    net = _net("pose", "i2p", shared=False)
    batch = _batch()
    with torch.no_grad():
        logits = net(batch["views"], batch["iso"])
        assert logits.shape == (3, 8)
        torch.testing.assert_close(net.score("i2p", batch), logits[:, [0, 1, 4, 5]])
        per_candidate = net(batch["views"], batch["candidates"])
        assert per_candidate.shape == (3, 4, 8)
        expected = torch.stack([per_candidate[i, :, int(k)] for i, k in enumerate(batch["pose"])])
        torch.testing.assert_close(net.score("p2i", batch), expected)


def test_pretext_steps():
    vc = _net("view-comparison", "t2i")
    loss, ok = vc.pretext_step({"views": torch.rand(2, 2, 3, 32, 32), "iso": torch.rand(2, 2, 32, 32)})
    assert ok.shape == (4,) and torch.isfinite(loss)  # one hard decision per set of views
    pose = build_model(NetConfig("pose", task="i2p", width=16, image_size=32, hidden=32, n_poses=20))
    batch = {"views": torch.rand(2, 3, 32, 32), "iso": torch.rand(2, 32, 32), "label": torch.tensor([0, 19])}
    loss, ok = pose.pretext_step(batch)
    assert ok.shape == (2,) and torch.isfinite(loss)


def test_separate_encoders_and_sslcore_backbone():
    assert len(_net("view-comparison", "t2i", shared=False).encoders()) == 4
    assert len(_net("view-comparison", "t2i").encoders()) == 1
    net = build_model(NetConfig("view-comparison", backbone="resnet18", image_size=32, hidden=16)).eval()
    with torch.no_grad():
        assert net.score("t2i", _batch(2)).shape == (2, 4)


def test_vgg_encoder_flattens_without_pooling():
    assert [vgg_blocks(s) for s in (16, 32, 64, 128, 200)] == [2, 3, 4, 5, 5]
    encoder = VGGEncoder(1, 32, 64)
    assert encoder(torch.rand(2, 1, 64, 64)).shape == (2, encoder.feature_dim) == (2, 32 * 4 * 4)


def test_defaults_and_mismatch():
    assert all(model in MODELS for model in DEFAULT_MODEL.values())
    with pytest.raises(ValueError, match="model i2p-classifier answers i2p, not t2i"):
        build_model(NetConfig("i2p-classifier", task="t2i"))


def test_candidate_contrast_is_difference_to_the_others():
    from spare3d.models.view_comparison import candidate_contrast

    c = torch.tensor([[1.0, 0.0, 0.0, 2.0]])[..., None, None]
    torch.testing.assert_close(candidate_contrast(c)[:, :, 0, 0], torch.tensor([[1 / 3, -1.0, -1.0, 5 / 3]]))
    pair = torch.tensor([[3.0, 1.0]])[..., None, None]
    torch.testing.assert_close(candidate_contrast(pair)[:, :, 0, 0], torch.tensor([[2.0, -2.0]]))


@pytest.mark.parametrize("loss_name", ["bce", "rank"])
@pytest.mark.parametrize("negatives", ["pair", "mixed"])
def test_pretext_variants_score_the_right_negatives(loss_name, negatives):
    """The loss equals its formula over the positives and the hard (and mixed) negatives, each computed
    independently with the network's forward."""
    torch.manual_seed(0)
    net = _net(
        "view-comparison", "t2i", contrast=True, edge_hull=True, pretext_loss=loss_name, negatives=negatives
    )
    views, iso = torch.rand(3, 2, 3, 32, 32), torch.rand(3, 2, 32, 32)
    with torch.no_grad():
        loss, ok = net.pretext_step({"views": views, "iso": iso})
        # scores of each set of views against the pair's isometrics: (B, 2 views, 2 isos)
        pair = torch.stack([net(views[:, j], iso) for j in range(2)], dim=1)
        other = torch.stack([net(views[:, j], iso.roll(1, dims=0)) for j in range(2)], dim=1)
    pos = torch.stack([pair[:, 0, 0], pair[:, 1, 1]], 1).flatten()
    hard = torch.stack([pair[:, 0, 1], pair[:, 1, 0]], 1).flatten()
    negs = [hard[:, None]] + ([other.flatten(0, 1)] if negatives == "mixed" else [])
    negs = torch.cat(negs, 1)
    if loss_name == "rank":
        expected = torch.nn.functional.cross_entropy(
            torch.cat([pos[:, None], negs], 1), torch.zeros(6, dtype=torch.long)
        )
    else:
        logits = torch.cat([pos.repeat(negs.shape[1]), negs.T.flatten()])
        target = torch.cat([torch.ones(6 * negs.shape[1]), torch.zeros(6 * negs.shape[1])])
        expected = torch.nn.functional.binary_cross_entropy_with_logits(logits, target)
    torch.testing.assert_close(loss, expected, rtol=1e-4, atol=1e-5)
    assert torch.equal(ok, pos > hard)


def test_contrast_makes_scores_depend_on_the_other_candidates():
    net = _net("view-comparison", "t2i", contrast=True)
    plain = _net("view-comparison", "t2i")
    batch = _batch()
    changed = {**batch, "candidates": torch.cat([batch["candidates"][:, :1], torch.rand(3, 3, 32, 32)], 1)}
    with torch.no_grad():
        assert not torch.allclose(net.score("t2i", batch)[:, 0], net.score("t2i", changed)[:, 0])
        torch.testing.assert_close(plain.score("t2i", batch)[:, 0], plain.score("t2i", changed)[:, 0])


def test_unknown_pretext_options_are_rejected():
    with pytest.raises(ValueError, match="pretext loss"):
        _net("view-comparison", "t2i", pretext_loss="hinge")


def test_hull_matcher_prefers_the_candidate_its_views_support():
    """With the matcher's last layer set to read the product of candidate ink and hull (a one-layer
    cosine-like score), the candidate whose lines the three views support scores highest."""
    from spare3d.models.edge_hull import EdgeHull

    net = _net("hull-matcher", "t2i", pretext_loss="rank")
    views = torch.zeros(1, 3, 32, 32)
    views[0, :, 10:22, 15:17] = 1.0  # a vertical bar in F and R, and in T...
    views[0, 2] = 0.0
    views[0, 2, 15:17, 15:17] = 1.0  # ...seen end-on from the top: a vertical edge at the centre
    hull = EdgeHull(32)(views)[0]
    supported = (hull > 0.5).float()
    elsewhere = supported.roll(8, dims=1)
    candidates = torch.stack([elsewhere, supported, elsewhere.roll(6, 0), elsewhere.roll(-6, 0)])[None]
    with torch.no_grad():
        _product_matcher(net.matcher, 0, 2)
        scores = net.score("t2i", {"views": views, "candidates": candidates})
    assert int(scores.argmax()) == 1 and float(scores[0, 1]) > 0


def _product_matcher(matcher: torch.nn.Sequential, drawing: int, hull: int) -> None:
    """Set a pixel matcher's layers to score sum_p ReLU(d(p) + H(p) - 1): the overlap of two channels."""
    first, second, last = matcher[0], matcher[2], matcher[4]
    for layer in (first, second, last):
        layer.weight.zero_()
        layer.bias.zero_()
    first.weight[0, drawing, 1, 1], first.weight[0, hull, 1, 1], first.bias[0] = 1.0, 1.0, -1.0
    second.weight[0, 0, 1, 1] = 1.0
    last.weight[0, 0] = 1.0


def _bar_views(size: int = 32) -> torch.Tensor:
    """F, R, T ink of a vertical bar off the centre: one edge, whose drawing differs between poses."""
    views = torch.zeros(1, 3, size, size)
    views[0, 0, 8:24, 20:22] = 1.0  # F: the bar right of the centre
    views[0, 1, 8:24, 15:17] = 1.0  # R: at the centre in depth
    views[0, 2, 15:17, 20:22] = 1.0  # T: seen end-on
    return views


def test_hull_pose_picks_the_pose_whose_hull_the_drawing_matches():
    """With the matcher reading the overlap of drawing and hull, the I2P answer and the peak of the
    pretext logits are the pose whose edge hull the drawing is."""
    from spare3d.images import to_input
    from spare3d.models.edge_hull import EdgeHull

    net = _net("hull-pose", "i2p")
    ink = _bar_views()
    views = to_input(255 * (1 - ink))  # network input of those ink maps
    hulls = torch.stack([(EdgeHull(32, str(k))(ink)[0] > 0.5).float() for k in (1, 2, 5, 6)])
    assert all(not torch.equal(hulls[i], hulls[j]) for i in range(4) for j in range(i))
    with torch.no_grad():
        _product_matcher(net.matcher, 0, 1)
        for answer in range(4):
            iso = to_input(255 * (1 - hulls[answer]))[None]
            assert int(net.score("i2p", {"views": views, "iso": iso}).argmax()) == answer
            assert int(net(views, iso).argmax()) == (1, 2, 5, 6)[answer] - 1
    loss, ok = net.pretext_step({"views": views, "iso": iso, "label": torch.tensor([5])})
    assert bool(ok[0]) and torch.isfinite(loss)


def test_hull_pose_p2i_scores_each_item_against_its_asked_pose():
    net = _net("hull-pose", "p2i")
    torch.nn.init.normal_(net.matcher[-1].weight)
    batch = _batch()
    with torch.no_grad():
        scores = net.score("p2i", batch)
        for i, k in enumerate(batch["pose"].tolist()):
            candidates = batch["candidates"][i : i + 1]
            hull = net.pose_hulls(batch["views"][i : i + 1], [k])
            torch.testing.assert_close(scores[i : i + 1], net.match(candidates, hull.expand_as(candidates)))
