"""Build the claims report from the run store alone: a static HTML site and the same in Markdown.

For every claim — each one registered, and each one found in the store — the report shows the run
:func:`~neuralab.claims.runner.latest_claim_runs` picks (the latest completed ``full`` run, else
``quick``, else the latest ``smoke`` check, which is shown as "ran, no verdict"), read back from
the store: its config (the claim's description and budget), its records and its verdict. Nothing
is re-run. The index opens with one line counting each kind of result
(:mod:`~neuralab.report.verdict_kinds`) and groups the claims by theme
(:mod:`~neuralab.report.themes`), each row with the deciding part's numbers and the rule's picture
drawn small (:mod:`~neuralab.report.interval_strip`); a claim's page has the picture of every
part (:func:`~neuralab.report.figures.interval_figure`). Each sweep in the store gets a page of its
members (:mod:`~neuralab.report.families`). Layout of ``out``::

    index.html  index.md  style.css
    claims/<claim id>.html  claims/<claim id>.md
    families/<sweep run id>.html  families/<sweep run id>.md
    figures/<claim id>-interval-<part>.png  figures/<claim id>-curves.png
    figures/<sweep run id>-sweep.png

``out`` must be a new or empty directory, or a previous report (it holds ``index.html``,
``index.md`` and ``style.css``): a filesystem root, an empty path, a path under a file and any other non-empty directory are
refused unless ``force`` is given (the root and a path under a file always are).

Templates (jinja2, HTML autoescaped) ship in ``neuralab/report/templates``. Every page and figure
is rendered in memory first and then each file is written atomically, so a failed build leaves the
previous report as it was.
"""

from __future__ import annotations

import json
import math
import re
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from neuralab.atomic import atomic_write_bytes, check_writable
from neuralab.claims.runner import latest_claim_runs
from neuralab.engine.metrics import read_records
from neuralab.errors import NeuralabError
from neuralab.progress import Mode, ProgressBar
from neuralab.registry import REGISTRY
from neuralab.report.families import RunFamily, collect_families, family_groups
from neuralab.report.figures import curves_figure, interval_figure, sweep_figure, verdict_parts
from neuralab.report.interval_strip import interval_strip
from neuralab.report.themes import by_theme, claim_theme
from neuralab.report.verdict_kinds import (INCONCLUSIVE_BUDGET, NEEDS_FULL, NOT_RUN, Kind,
                                           result_kind, summary_line, tally)
from neuralab.store import RunInfo, RunStore

DEFAULT_OUT = "report"
REPORT_FILES = ("index.html", "index.md", "style.css")  # what marks a previous report
# What a page needs from a claim's description; older or foreign runs may lack some of it.
DESCRIPTION = {"statement": "", "paper": None, "arxiv": None, "reference": "", "seeds": [],
               "thresholds": {}, "budgets": {}, "curves": [], "x_label": "step",
               "precondition": "", "shared": ""}


@dataclass
class ClaimPage:
    """What the report shows for one claim."""

    id: str
    info: dict[str, Any]
    run: RunInfo | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    theme: str = ""
    kind: Kind = NOT_RUN
    full_minutes: float | None = None  # about how long the full budget takes (needs --budget full)
    figures: dict[str, bytes] = field(default_factory=dict)
    strip: Markup | None = None  # the rule's picture drawn small, for the index

    @property
    def slug(self) -> str:
        return re.sub(r"[^A-Za-z0-9_-]", "-", self.id)

    @property
    def verdict(self) -> dict[str, Any] | None:
        return self.run.summary if self.run else None

    @property
    def parts(self) -> list[dict[str, Any]]:
        """The parts of the verdict, each with the name of its figure (``interval-<n>``)."""
        if not self.verdict:
            return []
        decided = self.verdict.get("decided") if self.verdict.get("parts") else None
        return [{**p, "figure": f"interval-{i}", "decided": p.get("measure") == decided}
                for i, p in enumerate(verdict_parts(self.verdict), 1)]


def collect(store: RunStore) -> list[ClaimPage]:
    """One page per claim: registered claims and claims recorded in ``store``, sorted by id."""
    latest = latest_claim_runs(store)
    registered = set(REGISTRY.names("claim"))
    pages = []
    for claim_id in sorted(set(latest) | registered):
        run = latest.get(claim_id)
        cls = REGISTRY.get("claim", claim_id).factory if claim_id in registered else None
        info = {**DESCRIPTION, **(run.config() if run else cls().describe())}
        budgets = cls.budgets if cls is not None else info["budgets"]
        pages.append(ClaimPage(
            claim_id, info, run, list(read_records(run.records_path)) if run else [],
            theme=claim_theme(claim_id),
            kind=result_kind(run.summary if run else None, "quick" in budgets),
            full_minutes=getattr(cls, "full_minutes", None)))
    return pages


def seed_table(verdict: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """(measures, rows of [seed, value per measure]) from a verdict's per-seed effects."""
    parts = verdict_parts(verdict)
    seeds = sorted({int(s) for p in parts for s in p.get("per_seed", {})})
    rows = [[s, *[p.get("per_seed", {}).get(str(s)) for p in parts]] for s in seeds]
    return [p.get("measure", "") for p in parts], rows


def arm_table(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per arm and metric: the final value of every seed, and their mean and sd."""
    last: dict[tuple[str, str], dict[int, tuple[int, float]]] = defaultdict(dict)
    for r in records:
        if r.get("layer") is not None:
            continue
        key, seed = (str(r["run"]), r["metric"]), int(r["member"])
        if seed not in last[key] or r["step"] >= last[key][seed][0]:
            last[key][seed] = (int(r["step"]), float(r["value"]))
    rows = []
    for (arm, metric), by_seed in sorted(last.items()):
        values = [by_seed[s][1] for s in sorted(by_seed)]
        finite = [v for v in values if math.isfinite(v)]
        rows.append({"arm": arm, "metric": metric, "seeds": sorted(by_seed), "values": values,
                     "mean": statistics.fmean(finite) if finite else math.nan,
                     "sd": statistics.stdev(finite) if len(finite) > 1 else 0.0})
    return rows


def fmt(value: Any) -> str:
    """Numbers as 4 significant digits; None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def md_cell(value: Any) -> str:
    return fmt(value).replace("|", "\\|").replace("\n", " ")


def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("neuralab.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]),
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(num=fmt, md=md_cell, when=when)
    env.globals.update(summary_line=summary_line, tally=tally, needs_full=NEEDS_FULL,
                       inconclusive_budget=INCONCLUSIVE_BUDGET)
    return env


def draw(page: ClaimPage) -> dict[str, bytes]:
    """The figures of a claim's page, by file name: the rule's picture of every part of a verdict
    (none for a smoke check) and the curves; sets ``page.figures`` and ``page.strip``."""
    if page.verdict:
        figures = {}
        if page.kind.has_verdict:
            for part in page.parts:
                figures[part["figure"]] = interval_figure(
                    part, decided=part["decided"], budget_failed=page.kind is INCONCLUSIVE_BUDGET)
            page.strip = interval_strip(page.verdict, page.kind)
        figures["curves"] = curves_figure(page.records, page.info.get("curves") or (),
                                          page.info.get("x_label") or "step")
        page.figures = {k: v for k, v in figures.items() if v}
    return {f"figures/{page.slug}-{name}.png": png for name, png in page.figures.items()}


def render(pages: list[ClaimPage], store: RunStore, families: list[RunFamily] | None = None,
           bar: ProgressBar | None = None) -> dict[str, bytes]:
    """Every file of the report, by relative path; ``bar`` counts the claims and sweeps drawn."""
    env = environment()
    families = families or []
    bar = bar or ProgressBar(len(pages) + len(families), desc="report", mode="none")
    files: dict[str, bytes] = {"style.css": env.get_template("style.css").render().encode()}
    for page in pages:
        files.update(draw(page))
        bar.update(1)
    sweep_figures = {}
    for f in families:
        sweep_figures[f.slug] = sweep_figure(f.points(), f.swept, f.headline)
        bar.update(1)
    files.update({f"figures/{slug}-sweep.png": png for slug, png in sweep_figures.items() if png})
    context = {"pages": pages, "themes": by_theme(pages, lambda p: p.theme),
               "families": families, "family_groups": family_groups(families),
               "store": str(store.root),
               "built": when(time.time())}
    for ext in ("html", "md"):
        files[f"index.{ext}"] = env.get_template(f"index.{ext}").render(**context).encode()
        for page in pages:
            measures, seed_rows = seed_table(page.verdict) if page.verdict else ([], [])
            text = env.get_template(f"claim.{ext}").render(
                page=page, info=page.info, verdict=page.verdict, measures=measures,
                seed_rows=seed_rows, seeds_run=[row[0] for row in seed_rows], parts=page.parts,
                arms=arm_table(page.records), created=when(page.run.created if page.run else None))
            files[f"claims/{page.slug}.{ext}"] = text.encode()
        for family in families:
            text = env.get_template(f"family.{ext}").render(
                family=family, figure=bool(sweep_figures[family.slug]),
                spec=json.dumps(family.spec, indent=2, sort_keys=True, default=str),
                created=when(family.run.created))
            files[f"families/{family.slug}.{ext}"] = text.encode()
    return files


def check_out(out: str | Path, force: bool = False) -> Path:
    """``out`` as a path, if a report may be written there: a new or empty directory, or a
    previous report; any other non-empty directory only with ``force``; and a place where files
    can be written (not ``/proc``)."""
    if not str(out).strip():
        raise NeuralabError("report output path is empty; give a directory with --out DIR")
    out = Path(out)
    resolved = out.resolve()
    if resolved == Path(resolved.anchor):
        raise NeuralabError(f"report output {str(out)!r} is a filesystem root; give a directory "
                            "of its own with --out DIR")
    for parent in resolved.parents:
        if parent.exists() and not parent.is_dir():
            raise NeuralabError(f"report output {str(out)!r} is under {str(parent)!r}, "
                                "which is a file")
    if out.exists() and not out.is_dir():
        raise NeuralabError(f"report output {str(out)!r} exists and is not a directory")
    if out.is_dir() and not force and any(out.iterdir()) and not _is_report(out):
        raise NeuralabError(f"report output {str(out)!r} is a non-empty directory that holds no "
                            "report; choose another --out, or pass --force to write into it")
    check_writable(out, f"report output {str(out)!r}")
    return out


def _is_report(path: Path) -> bool:
    return all((path / name).is_file() for name in REPORT_FILES)


def build_report(store: RunStore, out: str | Path = DEFAULT_OUT, *, force: bool = False,
                 progress: Mode = "auto") -> Path:
    """Write the report for ``store`` into ``out``; returns the path of ``index.html``.

    ``out`` is checked by :func:`check_out` (``force`` allows a non-empty directory).
    ``progress`` (:mod:`neuralab.progress`) counts the claims and sweeps drawn on stderr: a bar
    on a terminal, a line every 10 s otherwise (``auto``), or nothing (``none``)."""
    out = check_out(out, force)
    if not store.exists:
        raise NeuralabError(f"no run store at {str(store.root)!r}; run claims first "
                            "(neuralab claims run --all) or pass --runs-dir")
    pages, families = collect(store), collect_families(store)
    with ProgressBar(len(pages) + len(families), desc="report", unit="page", mode=progress) as bar:
        files = render(pages, store, families, bar)
    for rel, data in files.items():
        atomic_write_bytes(out / rel, data)
    return out / "index.html"


def when(timestamp: float | None) -> str:
    """A time as ``YYYY-mm-dd HH:MM`` (local time); None as empty."""
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(timestamp)) if timestamp else ""
