"""The question recipes of SPARE3D and its pretext sets: what is drawn, from which shapes, in which file.

Every drawing of one question shares one frame: 1.7 x the largest bounding-box edge of the ORIGINAL
model, centred on its box, so candidates made by subtracting primitives line up with the three views.
- t2i: the correct object is the model minus one random primitive (`render.models.csg.recipe_primitive`); the
  3 distractors are the model minus other random primitives (redrawn while they look the same as an
  object already chosen: same pose-2 drawing or same three views); the three views are the correct object's,
  the 4 candidates are pose-2 drawings with the correct one at position `label`. A distractor's right and
  top views are drawn only when its pose-2 and front drawings do not already tell it apart.
- i2p: the model's three views and its drawing from pose (1, 2, 5, 6)[label].
- p2i: the three views, a random pose k in 1..8 and 4 drawings from 4 distinct poses, pose k at `label`.
- pairs: two similar objects (model minus two different random primitives, distinct as in t2i), three
  views and a pose-2 drawing of each, "left" and "right". With K variants (K > 2): K such objects,
  pairwise distinct, each drawn once, and one pairs item per pair of them, K (K - 1) / 2 items
  `{qid}_{a}-{b}` (a < b: left a, right b) whose files are those drawings (`Question.items`).
- poses: the three views and poses 1-8 (and 9-20 with extra poses).
A recipe also returns the sets whose members must look different for the question to be well posed
(candidates; for pairs the three views of each object as well, which for t2i `distinct_objects` has
already ensured; for i2p and poses the pose drawings, which coincide on symmetric models), which
`render.datasets.dataset` checks with `render.datasets.filters`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from render.datasets.difficulty import changed_pixels, question_difficulty, visible_pixels
from render.datasets.filters import LineMask, near_identical
from render.datasets.layout import I2P_POSES, N_CHOICES, image_names, pose_marker
from render.lines.cameras import camera
from render.lines.drawing import DEFAULT_MARGIN, Frame, HiddenStyle, ViewLines, rasterize
from render.lines.mesh import mesh_views
from render.lines.views import render_shape
from render.models.csg import recipe_primitive
from render.models.solid import Solid

RECIPE_TRIES = 40
THREE = ("f", "r", "t")


class RecipeError(RuntimeError):
    """A model from which the recipe cannot make a question (e.g. no valid subtraction)."""


@dataclass
class Drawer:
    """Draws views of models as RGB images with one line route and style (all views of a model at once,
    so routes that tessellate reuse one tessellation).

    Methods for B-reps as `render views`: exact, poly, mesh, and auto = the mesh route with polygonal
    HLR for a shape the mesh route fails on; such fallbacks are listed in `fallbacks`. Meshes are drawn
    by the mesh route whatever the method.
    """

    method: str = "auto"
    size: int = 200
    line_width: float = 1.5
    hidden: HiddenStyle = "off"
    fallbacks: list[str] = field(default_factory=list)

    def lines(self, model: Solid, views: tuple[str, ...], frame: Frame) -> dict[str, ViewLines]:
        if model.shape is None:
            if model.groups is None:
                return mesh_views(model.mesh, [camera(v) for v in views])
            # a CSG mesh: edges where two primitives meet at more than one chord's angle (coaxial
            # surfaces of two primitives continue each other within it)
            cams = [camera(v) for v in views]
            return mesh_views(model.mesh, cams, groups=model.groups, group_angle_deg=360 / model.segments)
        shape, with_hidden = model.shape, self.hidden != "off"
        if self.method != "auto":
            return render_shape(shape, views, self.method, frame, with_hidden)
        try:
            return render_shape(shape, views, "mesh", frame, with_hidden)
        except Exception as exc:  # the polygonal route needs nothing beyond OpenCASCADE
            self.fallbacks.append(f"mesh failed: {exc}".splitlines()[0])
            return render_shape(shape, views, "poly", frame, with_hidden)

    def __call__(self, model: Solid, views: Sequence[str], frame: Frame) -> dict[str, np.ndarray]:
        lines = self.lines(model, tuple(views), frame)
        return {
            v: rasterize(lines[v], camera(v), frame, self.size, self.line_width, self.hidden) for v in views
        }


@dataclass
class Question:
    """Images to write (file name -> RGB), the label (None for pretext sets), empty marker files, and
    named sets of items (tuples of drawings) that must not be near-identical, with the problem's name;
    `info` goes into the question's record (t2i: difficulty, pairs: visible change,
    render.datasets.difficulty)."""

    images: dict[str, np.ndarray]
    label: int | None
    three_views: tuple[str, str, str]
    markers: tuple[str, ...] = ()
    distinct: list[tuple[str, dict[str, tuple[np.ndarray, ...]]]] = field(default_factory=list)
    info: dict = field(default_factory=dict)
    # Several items made of shared drawings: item id -> {file name in the item: key in `images`}; each
    # image is written once and the items' files are links to it. None: one item, `images` its files.
    items: dict[str, dict[str, str]] | None = None


def _frame(model: Solid, margin: float) -> Frame:
    return Frame.around(*model.bounds(), margin=margin)


@dataclass
class _Drawn:
    """One subtraction and the drawings made of it so far, with their line masks."""

    solid: Solid
    images: dict[str, np.ndarray] = field(default_factory=dict)
    masks: dict[str, LineMask] = field(default_factory=dict)

    def draw(self, views: Sequence[str], draw: Drawer, frame: Frame) -> None:
        missing = [v for v in views if v not in self.images]
        if missing:
            self.images |= draw(self.solid, missing, frame)
            self.masks |= {v: LineMask.of(self.images[v]) for v in missing}

    def mask(self, view: str, draw: Drawer, frame: Frame) -> LineMask:
        self.draw((view,), draw, frame)
        return self.masks[view]


def _looks_same(a: _Drawn, b: _Drawn, draw: Drawer, frame: Frame) -> bool:
    """Same pose-2 drawing, or the same three views: either makes two objects interchangeable.

    Views are compared in the order 2, f, r, t and drawn only when the answer still depends on them.
    """
    if near_identical(a.mask("2", draw, frame), b.mask("2", draw, frame)):
        return True
    return all(near_identical(a.mask(v, draw, frame), b.mask(v, draw, frame)) for v in THREE)


def _visible_change(a: _Drawn, b: _Drawn) -> int:
    return changed_pixels(visible_pixels(a.images["2"]), visible_pixels(b.images["2"]))


def distinct_objects(
    model: Solid,
    rng: np.random.Generator,
    count: int,
    draw: Drawer,
    frame: Frame,
    bounds: tuple[np.ndarray, np.ndarray],
    full: int | None = None,
    min_visible_change: int = 0,
) -> list[dict[str, np.ndarray]]:
    """Drawings of `count` objects, each the model (with bounding box `bounds`) minus one recipe primitive.

    The first `full` objects (default all) come with f, r, t and pose 2; the others with pose 2 and
    whatever views telling them apart took. A subtraction that is not one valid solid, or whose
    drawings look the same as an accepted object's (e.g. a cut on a side that no view shows), or whose
    pose-2 drawing changes fewer than `min_visible_change` visible-line pixels against the first
    object's, is drawn again, up to RECIPE_TRIES draws in all.
    """
    full = count if full is None else full
    accepted: list[_Drawn] = []
    for _ in range(RECIPE_TRIES):
        obj = model.minus(recipe_primitive(rng, *bounds))
        if obj is None:
            continue
        candidate = _Drawn(obj)
        # views a question needs are drawn at once: one tessellation serves them all
        candidate.draw((*THREE, "2") if len(accepted) < full else ("2", "f"), draw, frame)
        if accepted and min_visible_change and _visible_change(accepted[0], candidate) < min_visible_change:
            continue
        if not any(_looks_same(candidate, other, draw, frame) for other in accepted):
            accepted.append(candidate)
            if len(accepted) == count:
                return [obj.images for obj in accepted]
    raise RecipeError(f"only {len(accepted)} of {count} distinct subtractions in {RECIPE_TRIES} draws")


def _placed(correct: object, others: Sequence[object], label: int) -> list:
    return [*others[:label], correct, *others[label:]]


def t2i(
    qid: str,
    model: Solid,
    rng: np.random.Generator,
    label: int,
    draw: Drawer,
    margin: float = DEFAULT_MARGIN,
    min_visible_change: int = 0,
) -> Question:
    bounds = model.bounds()
    frame = Frame.around(*bounds, margin=margin)
    correct, *distractors = distinct_objects(
        model, rng, N_CHOICES, draw, frame, bounds, full=1, min_visible_change=min_visible_change
    )
    drawings = _placed(correct, distractors, label)
    names = image_names("t2i", qid)
    images = {n: correct[v] for n, v in zip(names[:3], THREE, strict=True)}
    images |= {f"{j}.png": d["2"] for j, d in enumerate(drawings)}
    # distinct_objects already refused candidates with the same three views as another
    candidates = {f"{j}.png": (d["2"],) for j, d in enumerate(drawings)}
    difficulty = question_difficulty([d["2"] for d in drawings], label)
    return Question(
        images,
        label,
        names[:3],
        distinct=[("identical candidates", candidates)],
        info={"difficulty": difficulty},
    )


def i2p(
    qid: str,
    model: Solid,
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
    model: Solid,
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
    model: Solid,
    rng: np.random.Generator,
    label: None,
    draw: Drawer,
    margin: float = DEFAULT_MARGIN,
    min_visible_change: int = 0,
    variants: int = 2,
) -> Question:
    bounds = model.bounds()
    frame = Frame.around(*bounds, margin=margin)
    if variants > 2:
        return _variant_pairs(qid, model, rng, draw, frame, bounds, min_visible_change, variants)
    left, right = distinct_objects(model, rng, 2, draw, frame, bounds, min_visible_change=min_visible_change)
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
        info={"visible_change": changed_pixels(visible_pixels(left["2"]), visible_pixels(right["2"]))},
    )


def variant_item(qid: str, a: int, b: int) -> str:
    """The id of the pairs item of variants a < b of model `qid`."""
    return f"{qid}_{a}-{b}"


def _variant_pairs(
    qid: str,
    model: Solid,
    rng: np.random.Generator,
    draw: Drawer,
    frame: Frame,
    bounds: tuple[np.ndarray, np.ndarray],
    min_visible_change: int,
    variants: int,
) -> Question:
    """K variants of one model, pairwise distinct, and a pairs item for each pair of them."""
    drawn = distinct_objects(model, rng, variants, draw, frame, bounds, min_visible_change=min_visible_change)
    images = {f"v{k}_{v}.png": d[v] for k, d in enumerate(drawn) for v in (*THREE, "2")}
    items, change = {}, {}
    for a in range(variants):
        for b in range(a + 1, variants):
            item = variant_item(qid, a, b)
            files = {}
            for side, k in (("left", a), ("right", b)):
                files |= {f"{item}_{v}{side}.png": f"v{k}_{v}.png" for v in THREE}
                files[f"isometric_{side}.png"] = f"v{k}_2.png"
            items[item] = files
            change[item] = changed_pixels(visible_pixels(drawn[a]["2"]), visible_pixels(drawn[b]["2"]))
    return Question(
        images,
        None,
        ("v0_f.png", "v0_r.png", "v0_t.png"),
        distinct=[
            ("identical objects", {f"variant {k}": (d["2"],) for k, d in enumerate(drawn)}),
            (
                "objects with the same three views",
                {f"variant {k}": tuple(d[v] for v in THREE) for k, d in enumerate(drawn)},
            ),
        ],
        info={"visible_change": change},
        items=items,
    )


def poses(
    qid: str,
    model: Solid,
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
