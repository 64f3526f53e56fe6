"""The verdict rule's picture drawn small for the index, as inline SVG (no image file to load).

One horizontal strip: the threshold as a dashed vertical line with its passing side shaded, the
90% interval of the mean effect (the one-sided 95% bounds the verdict used) as a bar, the mean as
a dot and each seed's effect as a tick, in the colour of the result's kind. The claim's own page
has the full figure of every part (:func:`neuralab.report.figures.interval_figure`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from neuralab.report.figures import is_finite_number
from neuralab.report.verdict_kinds import Kind

WIDTH, HEIGHT, PAD = 140, 16, 6  # pixels
THRESHOLD_COLOR, MEAN_COLOR = "#57606a", "#1f2328"


def interval_strip(verdict: Mapping[str, Any], kind: Kind) -> Markup | None:
    """``<svg>`` markup for ``verdict`` (the deciding part's numbers), or None when it has no
    verdict to picture, no finite interval or no finite threshold."""
    interval = list(verdict.get("interval") or [])
    threshold = verdict.get("threshold")
    numbers = [*interval, threshold]
    if not kind.has_verdict or len(interval) != 2 or not all(map(is_finite_number, numbers)):
        return None
    lo, hi = (float(v) for v in interval)
    seeds = [float(v) for v in (verdict.get("per_seed") or {}).values() if is_finite_number(v)]
    mean = float(verdict["effect"]) if is_finite_number(verdict.get("effect")) else (lo + hi) / 2
    left, right = min(lo, threshold, *seeds), max(hi, threshold, *seeds)
    span = (right - left) or max(abs(right), 1.0)

    def x(v: float) -> float:
        return PAD + (v - left) / span * (WIDTH - 2 * PAD)

    t, mid = x(float(threshold)), HEIGHT / 2
    passing = (t, WIDTH - t) if verdict.get("direction", "greater") == "greater" else (0.0, t)
    cmp = ">" if verdict.get("direction", "greater") == "greater" else "<"
    title = (f"mean {mean:.4g}, 90% interval [{lo:.4g}, {hi:.4g}] over {len(seeds)} seeds; "
             f"threshold {cmp} {float(threshold):.4g}: {kind.label}")
    shapes = [
        f'<rect x="{passing[0]:.1f}" y="0" width="{passing[1]:.1f}" height="{HEIGHT}" '
        f'fill="{kind.color}" fill-opacity="0.1"/>',
        f'<line x1="{t:.1f}" x2="{t:.1f}" y1="0" y2="{HEIGHT}" stroke="{THRESHOLD_COLOR}" '
        'stroke-dasharray="2 2"/>',
        f'<line x1="{x(lo):.1f}" x2="{x(hi):.1f}" y1="{mid}" y2="{mid}" stroke="{kind.color}" '
        'stroke-width="4" stroke-linecap="round" stroke-opacity="0.6"/>',
        *(f'<line x1="{x(v):.1f}" x2="{x(v):.1f}" y1="{mid - 5}" y2="{mid + 5}" '
          f'stroke="{kind.color}"/>' for v in seeds),
        f'<circle cx="{x(mean):.1f}" cy="{mid}" r="3" fill="{MEAN_COLOR}"/>',
    ]
    return Markup(f'<svg class="strip" width="{WIDTH}" height="{HEIGHT}" '
                  f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">'
                  f'<title>{escape(title)}</title>{"".join(shapes)}</svg>')
