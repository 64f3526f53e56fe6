"""The report's figures, drawn with matplotlib's Agg canvas (no display, no global pyplot state).

- :func:`interval_figure`: one part of a verdict as the rule sees it: the effect per seed as
  dots, the mean with the 90% interval the verdict used, and the threshold as a dashed line with
  the passing side shaded, coloured by the verdict.
- :func:`curves_figure`: for each chosen metric, its value against ``step`` (or depth, ...) per
  arm: a thin line per seed and a bold line for the mean over seeds.
- :func:`sweep_figure`: a sweep's headline metric against each setting it swept, a dot per
  member and a line through the means over seeds.

Each returns PNG bytes, or None when there is nothing to draw.
"""

from __future__ import annotations

import io
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from neuralab.claims.labels import SMOKE_LABEL
from neuralab.report.verdict_kinds import BY_VERDICT, INCONCLUSIVE, NOT_RUN

VERDICT_COLORS = {k.label: k.color for k in BY_VERDICT.values()}
NO_VERDICT_COLOR = NOT_RUN.color
MAX_CURVE_PANELS = 4
MAX_TICKS = 12  # a sweep figure labels each swept value up to this many


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _finite(values: Sequence[Any]) -> list[float]:
    return [float(v) for v in values if is_finite_number(v)]


def verdict_parts(verdict: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The sub-verdicts of a combined verdict, or the verdict itself."""
    return list(verdict.get("parts") or []) or [verdict]


def interval_figure(part: Mapping[str, Any], *, decided: bool = False,
                    budget_failed: bool = False) -> bytes | None:
    """The verdict rule's picture for one part of a verdict: each seed's effect as a dot, the mean
    with the 90% interval the verdict used (its one-sided 95% bounds; mean ± sd for a run recorded
    before intervals), and the threshold as a dashed line with its passing side shaded, in the
    colour of the part's verdict (of *inconclusive* when the claim's precondition failed:
    ``budget_failed``). ``decided`` marks the part that decided a claim of several parts. None for a
    smoke check, which has no verdict to picture, and for a part without finite per-seed effects."""
    label = str(part.get("verdict", ""))
    values = _finite(list((part.get("per_seed") or {}).values()))
    threshold = part.get("threshold")
    if label == SMOKE_LABEL or not values or not is_finite_number(threshold):
        return None
    threshold = float(threshold)
    color = INCONCLUSIVE.color if budget_failed else VERDICT_COLORS.get(label, NO_VERDICT_COLOR)
    effect = part.get("effect")
    mean = float(effect) if is_finite_number(effect) else statistics.fmean(values)
    interval = _finite(list(part.get("interval") or []))
    if len(interval) == 2:
        bounds, what = interval, "mean, 90% interval"
    else:  # a run recorded before intervals: mean ± sd
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        bounds, what = [mean - spread, mean + spread], "mean ± sd"

    fig = Figure(figsize=(3.3, 2.9))
    ax = fig.add_subplot()
    n = len(values)
    xs = [0.3 * (j / (n - 1) - 0.5) if n > 1 else 0.0 for j in range(n)]  # seeds side by side
    ax.scatter(xs, values, color=color, alpha=0.75, s=18, zorder=3)
    below, above = max(mean - bounds[0], 0.0), max(bounds[1] - mean, 0.0)
    ax.errorbar([0.6], [mean], yerr=[[below], [above]], fmt="D", color="black", capsize=6, zorder=4)
    ax.axhline(threshold, color=NO_VERDICT_COLOR, linestyle="--", lw=1)
    low, high = min(values + bounds + [threshold]), max(values + bounds + [threshold])
    pad = 0.15 * (high - low) + 1e-3 * max(1.0, abs(high))
    ax.set_ylim(low - pad, high + pad)
    greater = part.get("direction", "greater") == "greater"
    passing = (threshold, high + pad) if greater else (low - pad, threshold)
    ax.axhspan(*passing, color=color, alpha=0.08)
    ax.text(0.98, threshold, f"threshold {'>' if greater else '<'} {threshold:.4g}",
            transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=7,
            color=NO_VERDICT_COLOR)
    ax.set_xlim(-0.35, 0.95)
    ax.set_xticks([0.0, 0.6], ["seeds", what], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(_wrap(part.get("measure", "") + (" (decided)" if decided else ""), 34), fontsize=8)
    ax.set_xlabel(label + (" (precondition failed)" if budget_failed else ""), color=color,
                  fontsize=8, fontweight="bold")
    return _png(fig)


def curves_figure(records: Sequence[Mapping[str, Any]], metrics: Sequence[str] = (),
                  x_label: str = "step") -> bytes | None:
    """Metrics against ``step`` per arm; ``metrics`` empty: every metric seen at several steps."""
    series: dict[str, dict[str, dict[int, list[tuple[int, float]]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(list)))
    for r in records:
        if r.get("layer") is None and isinstance(r.get("value"), (int, float)):
            series[r["metric"]][r["run"]][int(r["member"])].append((int(r["step"]), float(r["value"])))
    stepped = [m for m in series
               if any(len({s for s, _ in pts}) > 1 for arm in series[m].values() for pts in arm.values())]
    chosen = [m for m in (metrics or stepped) if m in stepped][:MAX_CURVE_PANELS]
    if not chosen:
        return None
    fig = Figure(figsize=(4.2 * len(chosen) + 0.6, 3.4))
    for i, metric in enumerate(chosen):
        ax = fig.add_subplot(1, len(chosen), i + 1)
        for k, (arm, by_member) in enumerate(sorted(series[metric].items())):
            color = f"C{k % 10}"
            steps_to_values: dict[int, list[float]] = defaultdict(list)
            for pts in by_member.values():
                pts = sorted(dict(pts).items())
                ax.plot([s for s, _ in pts], [v for _, v in pts], color=color, alpha=0.25, lw=0.8)
                for s, v in pts:
                    if math.isfinite(v):
                        steps_to_values[s].append(v)
            xs = sorted(steps_to_values)
            ax.plot(xs, [statistics.fmean(steps_to_values[s]) for s in xs], color=color, lw=2,
                    label=arm)
        values = _finite([v for arm in series[metric].values() for pts in arm.values() for _, v in pts])
        if values and min(values) > 0 and max(values) / min(values) > 100:
            ax.set_yscale("log")
        ax.set_xlabel(x_label)
        ax.set_title(metric, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def sweep_figure(members: Sequence[tuple[Mapping[str, Any], float | None]],
                 swept: Sequence[str], metric: str) -> bytes | None:
    """A sweep's ``metric`` against what it swept: ``members`` are (swept settings, final value)
    pairs. One panel per swept setting (``seed`` only when nothing else was swept): a dot per
    member, and a line through the means over seeds for each combination of the other swept
    settings. A numeric setting spanning a factor of 10 or more is on a log axis; any other
    setting is categorical; the swept values are the ticks. None when no member has a finite
    value."""
    rows = [(s, float(v)) for s, v in members if is_finite_number(v)]
    panels = ([k for k in swept if k != "seed"] or list(swept))[:MAX_CURVE_PANELS]
    if not rows or not panels:
        return None
    fig = Figure(figsize=(4.0 * len(panels) + 0.6, 3.2))
    for i, key in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), i + 1)
        numeric = all(is_finite_number(s.get(key)) for s, _ in rows)
        categories = sorted({str(s.get(key)) for s, _ in rows})
        positions = [float(s[key]) if numeric else float(categories.index(str(s.get(key))))
                     for s, _ in rows]
        others = [k for k in panels if k != key]
        lines: dict[tuple, dict[float, list[float]]] = defaultdict(lambda: defaultdict(list))
        for (s, v), x in zip(rows, positions):
            lines[tuple(s.get(k) for k in others)][x].append(v)
        ordered = sorted(lines.items(), key=lambda kv: [_order(g) for g in kv[0]])
        for j, (group, by_x) in enumerate(ordered):
            xs = sorted(by_x)
            ax.scatter([x for x in xs for _ in by_x[x]], [v for x in xs for v in by_x[x]],
                       color=f"C{j % 10}", alpha=0.5, s=16)
            ax.plot(xs, [statistics.fmean(by_x[x]) for x in xs], color=f"C{j % 10}", lw=1.5,
                    marker="o", label=", ".join(f"{k}={g}" for k, g in zip(others, group)) or None)
        ticks = sorted(set(positions))  # the swept values themselves, labelled
        if numeric and ticks[0] > 0 and ticks[-1] / ticks[0] >= 10:
            ax.set_xscale("log")
            ax.xaxis.set_minor_locator(NullLocator())
        if not numeric or len(ticks) <= MAX_TICKS:
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks] if numeric else categories, fontsize=7)
        ax.set_xlabel(key)
        ax.set_ylabel(metric if i == 0 else "")
        ax.grid(alpha=0.3)
        if others:
            ax.legend(fontsize=7)
    fig.tight_layout()
    return _png(fig)


def is_finite_number(value: Any) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _order(value: Any) -> tuple[int, float, str]:
    """Numbers first, by value; anything else after, by its text."""
    return (0, float(value), "") if is_finite_number(value) else (1, 0.0, str(value))


def _wrap(text: str, width: int = 38) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join(lines + [line] if line else lines)
