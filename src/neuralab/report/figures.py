"""The report's figures, drawn with matplotlib's Agg canvas (no display, no global pyplot state).

- :func:`effect_figure`: for each (sub-)verdict, the measured quantity per seed as dots, their
  mean and spread as a bar, and the threshold as a dashed line with the passing side shaded.
- :func:`curves_figure`: for each chosen metric, its value against ``step`` (or depth, ...) per
  arm: a thin line per seed and a bold line for the mean over seeds.

Both return PNG bytes, or None when there is nothing to draw.
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

VERDICT_COLORS = {"reproduced": "#1a7f37", "not reproduced": "#cf222e", "inconclusive": "#9a6700"}
MAX_CURVE_PANELS = 4


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def _finite(values: Sequence[float]) -> list[float]:
    return [v for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def verdict_parts(verdict: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The sub-verdicts of a combined verdict, or the verdict itself."""
    return list(verdict.get("parts") or []) or [verdict]


def effect_figure(verdict: Mapping[str, Any]) -> bytes | None:
    """Per-seed effects, the interval of their mean and the threshold, one panel per part (the
    picture of the verdict rule). None for a smoke check, which has no verdict to picture."""
    if verdict.get("budget") == "smoke":
        return None
    parts = [p for p in verdict_parts(verdict) if _finite(list(p.get("per_seed", {}).values()))]
    if not parts:
        return None
    fig = Figure(figsize=(3.4 * len(parts) + 0.6, 3.4))
    for i, part in enumerate(parts):
        ax = fig.add_subplot(1, len(parts), i + 1)
        seeds = list(part["per_seed"])
        values = [float(part["per_seed"][s]) for s in seeds]
        shown = _finite(values)
        color = VERDICT_COLORS.get(part.get("verdict", ""), "#57606a")
        xs = [0.12 * (j - (len(values) - 1) / 2) for j in range(len(values))]
        ax.scatter([x for x, v in zip(xs, values) if math.isfinite(v)], shown, color=color,
                   zorder=3, label="seeds")
        mean = statistics.fmean(shown)
        lo, hi = (list(part.get("interval") or []) + [math.nan, math.nan])[:2]
        if isinstance(lo, (int, float)) and isinstance(hi, (int, float)) \
                and math.isfinite(lo) and math.isfinite(hi):
            ax.errorbar([0.5], [mean], yerr=[[mean - lo], [hi - mean]], fmt="D", color="black",
                        capsize=6, label="mean, 90% interval")
            bounds = [lo, hi]
        else:  # a run recorded before intervals: mean ± sd
            spread = statistics.stdev(shown) if len(shown) > 1 else 0.0
            ax.errorbar([0.5], [mean], yerr=[spread], fmt="D", color="black", capsize=6,
                        label="mean ± sd")
            bounds = [mean - spread, mean + spread]
        threshold = float(part["threshold"])
        ax.axhline(threshold, color="#57606a", linestyle="--", label="threshold")
        low, high = min(shown + bounds + [threshold]), max(shown + bounds + [threshold])
        pad = 0.15 * (high - low) + 1e-3 * max(1.0, abs(high))
        ax.set_ylim(low - pad, high + pad)
        if part.get("direction", "greater") == "greater":
            ax.axhspan(threshold, high + pad, color=color, alpha=0.08)
        else:
            ax.axhspan(low - pad, threshold, color=color, alpha=0.08)
        ax.set_xlim(-0.6, 1.0)
        ax.set_xticks([])
        ax.set_title(_wrap(part.get("measure", "")), fontsize=9)
        ax.text(0.02, 0.02, part.get("verdict", ""), transform=ax.transAxes, color=color,
                fontsize=9, fontweight="bold")
        if i == 0:
            ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
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


def _wrap(text: str, width: int = 38) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join(lines + [line] if line else lines)
