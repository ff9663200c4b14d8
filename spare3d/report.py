"""`spare3d report`: gather the results.json of run directories into a markdown table and PNG plots.

Plots: accuracy per task and route (bars with Wilson 95% intervals, chance at 25%), accuracy vs
training-set size per task and route, and accuracy by question attribute (T2I difficulty class, CSG
primitive count) for the records that have such a breakdown.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sslcore.checkpoint import atomic_write  # noqa: E402


class ReportError(ValueError):
    """A run directory without readable results."""


def load_results(runs: list[Path]) -> list[dict]:
    """Result records of every run (a run directory or its results.json; a run given twice counts once),
    each tagged with `run`."""
    records = []
    paths = [run / "results.json" if run.is_dir() else run for run in runs]
    for path in dict.fromkeys(p.resolve() for p in paths):
        if not path.is_file():
            raise ReportError(f"{path}: no results.json (run `spare3d train` first)")
        try:
            entries = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ReportError(f"{path}: not valid JSON ({exc.msg})") from None
        records += [{**r, "run": path.parent.name} for r in entries]
    return records


def markdown_table(records: list[dict]) -> str:
    """One row per record; `min` is the stage's wall time (records written before it was kept: -)."""
    rows = [
        "| run | task | route | model | train items | accuracy % | 95% CI | questions | min |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(records, key=lambda r: (r["task"], r["route"], r["n_train"], r["run"])):
        minutes = f"{r['seconds'] / 60:.1f}" if "seconds" in r else "-"
        rows.append(
            f"| {r['run']} | {r['task'].upper()} | {r['route']} | {r['model']} | {r['n_train']} | "
            f"{100 * r['accuracy']:.1f} | {100 * r['ci_low']:.1f}-{100 * r['ci_high']:.1f} | {r['n']} | "
            f"{minutes} |"
        )
    return "\n".join(rows)


BREAKDOWNS: tuple[str, ...] = ("difficulty", "primitives")


def breakdown_table(records: list[dict], attribute: str) -> str:
    """Markdown: one row per record with a breakdown, one column per attribute value (accuracy %, n)."""
    rows = [r for r in records if r.get(f"by_{attribute}")]
    if not rows:
        return ""
    values = sorted({v for r in rows for v in r[f"by_{attribute}"]}, key=lambda v: (len(v), v))
    lines = [
        f"| run | task | route | {' | '.join(f'{attribute} {v}' for v in values)} |",
        "|---|---|---|" + "---|" * len(values),
    ]
    for r in sorted(rows, key=lambda r: (r["task"], r["route"], r["run"])):
        cells = [
            f"{100 * g['accuracy']:.1f} (n={g['n']})" if (g := r[f"by_{attribute}"].get(v)) else "-"
            for v in values
        ]
        lines.append(f"| {r['run']} | {r['task'].upper()} | {r['route']} | {' | '.join(cells)} |")
    return "\n".join(lines)


def plot_breakdown(records: list[dict], attribute: str, path: Path) -> bool:
    """Accuracy per attribute value, one line per record with that breakdown; False when none has it."""
    rows = [r for r in records if r.get(f"by_{attribute}")]
    if not rows:
        return False
    values = sorted({v for r in rows for v in r[f"by_{attribute}"]}, key=lambda v: (len(v), v))
    fig, ax = plt.subplots(figsize=(6, 4))
    for r in sorted(rows, key=lambda r: (r["task"], r["route"], r["run"])):
        groups = r[f"by_{attribute}"]
        xs = [i for i, v in enumerate(values) if v in groups]
        ax.plot(
            xs,
            [100 * groups[values[i]]["accuracy"] for i in xs],
            marker="o",
            label=f"{r['run']} {r['stage']}",
        )
    ax.axhline(25, color="gray", linestyle="--", linewidth=1)
    ax.set_xticks(range(len(values)), values)
    ax.set_xlabel(attribute)
    _finish(fig, ax, path)
    return True


def _finish(fig: plt.Figure, ax: plt.Axes, path: Path) -> None:
    """Accuracy axis (0-100 %), legend, tight layout, and an atomic PNG write."""
    ax.set_ylabel("test accuracy %")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=120))
    plt.close(fig)


def plot_by_route(records: list[dict], path: Path) -> None:
    tasks = sorted({r["task"] for r in records})
    routes = sorted({r["route"] for r in records})
    fig, ax = plt.subplots(figsize=(1.8 + 1.6 * len(tasks) * max(1, len(routes)) / 2, 4))
    width = 0.8 / len(routes)
    for j, route in enumerate(routes):
        label: str | None = route  # once per route, on its first bar
        for i, task in enumerate(tasks):
            rs = [r for r in records if r["task"] == task and r["route"] == route]
            if not rs:
                continue
            best = max(rs, key=lambda r: r["n_train"])
            acc = 100 * best["accuracy"]
            err = [[acc - 100 * best["ci_low"]], [100 * best["ci_high"] - acc]]
            ax.bar(i + j * width, acc, width, yerr=err, capsize=3, color=f"C{j}", label=label)
            label = None
    ax.axhline(25, color="gray", linestyle="--", linewidth=1, label="chance")
    ax.set_xticks([i + width * (len(routes) - 1) / 2 for i in range(len(tasks))], [t.upper() for t in tasks])
    _finish(fig, ax, path)


def plot_by_size(records: list[dict], path: Path) -> None:
    series: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for r in records:
        series[(r["task"], r["route"])].append((r["n_train"], 100 * r["accuracy"]))
    fig, ax = plt.subplots(figsize=(6, 4))
    styles = dict(zip(sorted({task for task, _ in series}), ["-", "--", ":", "-."] * 4, strict=False))
    for (task, route), points in sorted(series.items()):
        xs, ys = zip(*sorted(points), strict=True)
        ax.plot(xs, ys, marker="o", linestyle=styles[task], label=f"{task.upper()} {route}")
    ax.axhline(25, color="gray", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_xlabel("training items (questions, or models for a pretext stage)")
    _finish(fig, ax, path)


def write_report(runs: list[Path], out: Path) -> str:
    """Write OUT/report.md, OUT/accuracy_by_route.png and OUT/accuracy_vs_size.png; return the table."""
    records = load_results(runs)
    if not records:
        raise ReportError("no result records in the given runs")
    table = markdown_table(records)
    out.mkdir(parents=True, exist_ok=True)
    plot_by_route(records, out / "accuracy_by_route.png")
    plot_by_size(records, out / "accuracy_vs_size.png")
    plots = "![by route](accuracy_by_route.png)\n\n![by size](accuracy_vs_size.png)\n"
    for attribute in BREAKDOWNS:
        if plot_breakdown(records, attribute, out / f"accuracy_by_{attribute}.png"):
            plots += f"\n## Accuracy by {attribute}\n\n{breakdown_table(records, attribute)}\n\n"
            plots += f"![by {attribute}](accuracy_by_{attribute}.png)\n"
    text = f"# SPARE3D results\n\n{table}\n\n{plots}"
    atomic_write(out / "report.md", lambda tmp: Path(tmp).write_text(text))
    return table
