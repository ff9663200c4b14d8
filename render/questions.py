"""The question recipes of SPARE3D and its pretext sets: what is drawn, from which shapes, in which file.

Every drawing of one question shares one frame: 1.7 x the largest bounding-box edge of the ORIGINAL
model, centred on its box, so candidates made by subtracting primitives line up with the three views.
- t2i: the correct object is the model minus one random primitive (`render.csg.recipe_primitive`); the
  3 distractors are the model minus other random primitives (redrawn while they look the same as an
  object already chosen: same pose-2 drawing or same three views); the three views are the correct object's,
  the 4 candidates are pose-2 drawings with the correct one at position `label`.
- i2p: the model's three views and its drawing from pose (1, 2, 5, 6)[label].
- p2i: the three views, a random pose k in 1..8 and 4 drawings from 4 distinct poses, pose k at `label`.
- pairs: two similar objects (model minus two different random primitives, distinct as in t2i), three
  views and a pose-2 drawing of each, "left" and "right".
- poses: the three views and poses 1-8 (and 9-20 with extra poses).
A recipe also returns the sets whose members must look different for the question to be well posed
(candidates; for t2i and pairs the three views of each object as well; for i2p and poses the pose
drawings, which coincide on symmetric models), which `render.dataset` checks with `render.filters`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from OCP.TopoDS import TopoDS_Shape

from render.brep import shape_bounds
from render.cameras import camera
from render.csg import recipe_primitive, subtract, volume
from render.drawing import DEFAULT_MARGIN, Frame, HiddenStyle, ViewLines, rasterize
from render.filters import near_identical
from render.layout import I2P_POSES, N_CHOICES, image_names, pose_marker
from render.views import render_shape

RECIPE_TRIES = 40
THREE = ("f", "r", "t")


class RecipeError(RuntimeError):
    """A model from which the recipe cannot make a question (e.g. no valid subtraction)."""


@dataclass
class Drawer:
    """Draws views of shapes as RGB images with one line route and style (all views of a shape at once,
    so routes that tessellate reuse one tessellation).

    Methods as `render views`: exact, poly, mesh, and auto = the mesh route with polygonal HLR for a
    shape the mesh route fails on; such fallbacks are listed in `fallbacks`.
    """

    method: str = "auto"
    size: int = 200
    line_width: float = 1.5
    hidden: HiddenStyle = "off"
    fallbacks: list[str] = field(default_factory=list)

    def lines(self, shape: TopoDS_Shape, views: tuple[str, ...], frame: Frame) -> dict[str, ViewLines]:
        with_hidden = self.hidden != "off"
        if self.method != "auto":
            return render_shape(shape, views, self.method, frame, with_hidden)
        try:
            return render_shape(shape, views, "mesh", frame, with_hidden)
        except Exception as exc:  # the polygonal route needs nothing beyond OpenCASCADE
            self.fallbacks.append(f"mesh failed: {exc}".splitlines()[0])
            return render_shape(shape, views, "poly", frame, with_hidden)

    def __call__(self, shape: TopoDS_Shape, views: Sequence[str], frame: Frame) -> dict[str, np.ndarray]:
        lines = self.lines(shape, tuple(views), frame)
        return {
            v: rasterize(lines[v], camera(v), frame, self.size, self.line_width, self.hidden) for v in views
        }


@dataclass
class Question:
    """Images to write (file name -> RGB), the label (None for pretext sets), empty marker files, and
    named sets of items (tuples of drawings) that must not be near-identical, with the problem's name."""

    images: dict[str, np.ndarray]
    label: int | None
    three_views: tuple[str, str, str]
    markers: tuple[str, ...] = ()
    distinct: list[tuple[str, dict[str, tuple[np.ndarray, ...]]]] = field(default_factory=list)


def _frame(model: TopoDS_Shape, margin: float) -> Frame:
    return Frame.around(*shape_bounds(model), margin=margin)


def _looks_same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    """Same pose-2 drawing, or the same three views: either makes two objects interchangeable."""
    return near_identical(a["2"], b["2"]) or all(near_identical(a[v], b[v]) for v in THREE)


def distinct_objects(
    model: TopoDS_Shape, rng: np.random.Generator, count: int, draw: Drawer, frame: Frame
) -> list[dict[str, np.ndarray]]:
    """Drawings (f, r, t, pose 2) of `count` objects, each the model minus one recipe primitive.

    A subtraction that is not one valid solid, or whose drawings look the same as an accepted object's
    (e.g. a cut on a side that no view shows), is drawn again, up to RECIPE_TRIES draws in all.
    """
    lo, hi = shape_bounds(model)
    model_volume = volume(model)
    accepted: list[dict[str, np.ndarray]] = []
    for _ in range(RECIPE_TRIES):
        obj = subtract(model, recipe_primitive(rng, lo, hi), model_volume)
        if obj is None:
            continue
        drawing = draw(obj, (*THREE, "2"), frame)
        if not any(_looks_same(drawing, other) for other in accepted):
            accepted.append(drawing)
            if len(accepted) == count:
                return accepted
    raise RecipeError(f"only {len(accepted)} of {count} distinct subtractions in {RECIPE_TRIES} draws")


def _placed(correct: object, others: Sequence[object], label: int) -> list:
    return [*others[:label], correct, *others[label:]]


def t2i(
    qid: str,
    model: TopoDS_Shape,
    rng: np.random.Generator,
    label: int,
    draw: Drawer,
    margin: float = DEFAULT_MARGIN,
) -> Question:
    correct, *distractors = distinct_objects(model, rng, N_CHOICES, draw, _frame(model, margin))
    drawings = _placed(correct, distractors, label)
    names = image_names("t2i", qid)
    images = {n: drawings[label][v] for n, v in zip(names[:3], THREE, strict=True)}
    images |= {f"{j}.png": d["2"] for j, d in enumerate(drawings)}
    return Question(
        images,
        label,
        names[:3],
        distinct=[
            ("identical candidates", {f"{j}.png": (d["2"],) for j, d in enumerate(drawings)}),
            (
                "candidates with the same three views",
                {f"{j}.png": tuple(d[v] for v in THREE) for j, d in enumerate(drawings)},
            ),
        ],
    )


def i2p(
    qid: str,
    model: TopoDS_Shape,
    rng: np.random.Generator,
    label: int,
    draw: Drawer,
    margin: float = DEFAULT_MARGIN,
) -> Question:
    d = draw(model, (*THREE, *I2P_POSES), _frame(model, margin))
    names = image_names("i2p", qid)
    images = {n: d[v] for n, v in zip(names[:3], THREE, strict=True)} | {"answer.png": d[I2P_POSES[label]]}
    poses = {f"pose {k}": (d[k],) for k in I2P_POSES}
    return Question(images, label, names[:3], distinct=[("pose ambiguous by symmetry", poses)])


def p2i(
    qid: str,
    model: TopoDS_Shape,
    rng: np.random.Generator,
    label: int,
    draw: Drawer,
    margin: float = DEFAULT_MARGIN,
) -> Question:
    k = int(rng.integers(1, 9))
    others = [p for p in range(1, 9) if p != k]
    distractors = [others[i] for i in rng.choice(len(others), N_CHOICES - 1, replace=False)]
    poses = [str(p) for p in _placed(k, distractors, label)]
    d = draw(model, (*THREE, *poses), _frame(model, margin))
    names = image_names("p2i", qid)
    images = {n: d[v] for n, v in zip(names[:3], THREE, strict=True)}
    images |= {f"{j}.png": d[p] for j, p in enumerate(poses)}
    candidates = {f"{j}.png (pose {p})": (d[p],) for j, p in enumerate(poses)}
    return Question(images, label, names[:3], (pose_marker(k),), [("identical candidates", candidates)])


def pairs(
    qid: str,
    model: TopoDS_Shape,
    rng: np.random.Generator,
    label: None,
    draw: Drawer,
    margin: float = DEFAULT_MARGIN,
) -> Question:
    left, right = distinct_objects(model, rng, 2, draw, _frame(model, margin))
    images = {}
    for side, d in (("left", left), ("right", right)):
        images |= {f"{qid}_{v}{side}.png": d[v] for v in THREE} | {f"isometric_{side}.png": d["2"]}
    return Question(
        images,
        None,
        (f"{qid}_fleft.png", f"{qid}_rleft.png", f"{qid}_tleft.png"),
        distinct=[
            ("identical objects", {"isometric_left.png": (left["2"],), "isometric_right.png": (right["2"],)}),
            (
                "objects with the same three views",
                {s: tuple(d[v] for v in THREE) for s, d in (("left", left), ("right", right))},
            ),
        ],
    )


def poses(
    qid: str,
    model: TopoDS_Shape,
    rng: np.random.Generator,
    label: None,
    draw: Drawer,
    margin: float = DEFAULT_MARGIN,
    extra_poses: bool = False,
) -> Question:
    names = image_names("poses", qid, extra_poses)
    keys = [*THREE, *(n.removesuffix(".png") for n in names[3:])]
    d = draw(model, keys, _frame(model, margin))
    images = dict(zip(names, (d[k] for k in keys), strict=True))
    return Question(
        images,
        None,
        names[:3],
        distinct=[("pose ambiguous by symmetry", {f"pose {k}": (d[k],) for k in keys[3:]})],
    )


Recipe = Callable[..., Question]
RECIPES: dict[str, Recipe] = {"t2i": t2i, "i2p": i2p, "p2i": p2i, "pairs": pairs, "poses": poses}
