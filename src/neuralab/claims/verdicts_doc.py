"""The verdicts page (``docs/verdicts.md``): every claim's verdict of record, with its history.

A new table is built from run stores alone (nothing re-runs): the latest completed ``full`` run of
each claim in one store and, optionally, its latest ``quick`` run in another (the demo's store), so
that the page shows, per claim, the verdict of record beside the quick verdict and whether the two
agree. The previous page is parsed for each claim's earlier verdict (its oldest), and kept whole
below the new table under "Earlier tables": a table is never overwritten. Claims the new store did
not re-run keep their rows of the previous newest table, dated, so that the newest table is always
every claim's verdict of record. The header states the suite's total
wall time (the sum of the claims' run times: they run one after another) and where it was
measured. The stores themselves stay exportable with ``neuralab runs export``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from neuralab.atomic import atomic_write_text
from neuralab.claims.runner import latest_claim_runs
from neuralab.errors import NeuralabError
from neuralab.store import RunStore

TITLE = "# Verdicts"
EARLIER = "## Earlier tables"
_OLD_ROW = re.compile(r"^\|\s*`(?P<id>[A-Za-z0-9_]+)`[^|]*\|[^|]*\|\s*\*\*(?P<verdict>[a-z ]+)\*\*")
_SECTION = re.compile(r"^## (?P<date>\d{4}-\d{2}-\d{2}): ")
_DATED = re.compile(r"^`[A-Za-z0-9_]+` \((?P<date>\d{4}-\d{2}-\d{2})\)$")
_CELL = re.compile(r"(?<!\\)\|")


def earlier_verdicts(text: str) -> dict[str, str]:
    """``{claim id: verdict}`` from the oldest table of a previous verdicts page that has the
    claim (the 3-seed, 2/3-rule table: what the new tables show as the "old verdict")."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _OLD_ROW.match(line)
        if m:
            out[m["id"]] = m["verdict"].strip()  # tables run newest first: the last one wins
    return out


def carried_rows(text: str) -> dict[str, dict[str, Any]]:
    """The rows of a previous page's newest table (one this module wrote), to carry into a new
    table for the claims the new store did not re-run: ``{claim id: {"line", "date", "verdict",
    "agreement", "seconds"}}``, the claim cell dated with the run's table ("`id` (2026-12-02)")."""
    out: dict[str, dict[str, Any]] = {}
    date = None
    for line in text.splitlines():
        section = _SECTION.match(line)
        if section:
            if date is not None:
                break  # only the newest table
            date = section["date"]
            continue
        m = _OLD_ROW.match(line)
        if date is None or not m:
            continue
        cells = [c.strip() for c in _CELL.split(line.strip().strip("|"))]
        if len(cells) != len(COLUMNS):
            continue
        dated = _DATED.match(cells[0])
        cells[0] = cells[0] if dated else f"`{m['id']}` ({date})"
        try:
            seconds = float(cells[-1])
        except ValueError:
            seconds = None
        out[m["id"]] = {"line": "| " + " | ".join(cells) + " |", "date": dated["date"] if dated
                        else date, "verdict": m["verdict"].strip(), "agreement": cells[10],
                        "seconds": seconds}
    return out


def _runs(store: RunStore | None, budget: str) -> dict[str, Any]:
    if store is None or not store.exists:
        return {}
    return {k: r for k, r in latest_claim_runs(store).items() if r.summary.get("budget") == budget}


def quick_run_seconds(store: RunStore | None) -> dict[str, float]:
    """``{claim: seconds}`` of the latest quick run of every claim in ``store``."""
    return {k: float(r.summary.get("seconds") or 0) for k, r in _runs(store, "quick").items()}


def _fmt(x: Any) -> str:
    return f"{x:.4g}" if isinstance(x, (int, float)) else "—"


def agreement(full: str | None, quick: str | None) -> str:
    """How a quick verdict relates to the full one: equal, contradiction (one reproduced, the
    other not reproduced) or weaker (one of them inconclusive)."""
    if not full or not quick:
        return ""
    if full == quick:
        return "equal"
    if {full, quick} == {"reproduced", "not reproduced"}:
        return "contradiction"
    return "weaker"


def verdict_rows(full_store: RunStore, quick_store: RunStore | None = None,
                 earlier: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per claim with a full run: old and new verdicts, interval, deciding part,
    precondition, quick verdict, agreement and seconds."""
    full, quick = _runs(full_store, "full"), _runs(quick_store, "quick")
    if not full:
        raise NeuralabError(f"no completed full-budget claim run in {str(full_store.root)!r}; "
                            "run `neuralab claims run --all --budget full --runs-dir DIR` first")
    rows = []
    for cid, run in sorted(full.items()):
        s = run.summary
        q = quick.get(cid)
        qv = q.summary.get("verdict") if q else None
        cmp = ">" if s.get("direction", "greater") == "greater" else "<"
        lo, hi = (s.get("interval") or [None, None])[:2]
        rows.append({
            "claim": cid, "old": (earlier or {}).get(cid, ""), "verdict": s.get("verdict"),
            "deciding": s.get("decided") or s.get("measure", ""), "effect": s.get("effect"),
            "interval": f"[{_fmt(lo)}, {_fmt(hi)}]", "threshold": f"{cmp} {_fmt(s.get('threshold'))}",
            "seeds": s.get("n_seeds"), "precondition": s.get("precondition", ""),
            "notes": s.get("notes", ""), "quick": qv or "", "agreement": agreement(s.get("verdict"), qv),
            "seconds": s.get("seconds"), "quick_seconds": q.summary.get("seconds") if q else None,
            "environment": s.get("environment") or {}, "run": run.id,
        })
    return rows


def _cell(text: Any) -> str:
    return str(text if text is not None else "").replace("|", "\\|").replace("\n", " ")


COLUMNS = ("claim", "old verdict (3 seeds, 2/3 rule)", "verdict", "deciding part", "effect",
           "90% interval", "threshold", "seeds", "precondition", "quick verdict", "quick vs full",
           "seconds")


def render_table(rows: list[dict[str, Any]], *, date: str | None = None,
                 missing: Sequence[str] = (),
                 carried: Mapping[str, Mapping[str, Any]] | None = None,
                 quick_seconds: Mapping[str, float] | None = None) -> str:
    """The new section: header (date, counts, wall time, machine) and the table. ``carried``
    (from :func:`carried_rows`) are the previous table's rows of claims not re-run here: they
    join the table with the date of their run in the claim column, so that the newest table is
    every claim's verdict of record. ``missing`` names the registered claims in neither (their
    verdict of record stays the one in an earlier table). ``quick_seconds``
    (:func:`quick_run_seconds`) gives the quick suite's time over every claim the quick store
    ran, not only those re-run here at full."""
    date = date or time.strftime("%Y-%m-%d")
    carried = {k: v for k, v in (carried or {}).items() if k not in {r["claim"] for r in rows}}
    counts: dict[str, int] = {}
    for verdict in [r["verdict"] for r in rows] + [c["verdict"] for c in carried.values()]:
        counts[verdict] = counts.get(verdict, 0) + 1
    wall = sum(r["seconds"] or 0 for r in rows)
    carried_wall = sum(c["seconds"] or 0 for c in carried.values())
    if quick_seconds is None:
        quick_seconds = {r["claim"]: r["quick_seconds"] for r in rows if r["quick_seconds"]}
    quick_wall = sum(quick_seconds.values())
    agree = [r["agreement"] for r in rows if r["agreement"]] + [
        c["agreement"] for c in carried.values() if c["agreement"]]
    env = next((r["environment"] for r in rows if r["environment"]), {})
    lines = [f"## {date}: {len(rows) + len(carried)} claims at the full budget", ""]
    lines.append(", ".join(f"{n} {v}" for v, n in sorted(counts.items())) + ". "
                 f"Suite wall time {(wall + carried_wall) / 60:.1f} min (full"
                 + (f"; {wall / 60:.1f} min of it run for this table" if carried else "") + ")"
                 + (f", {quick_wall / 60:.1f} min (quick: its {len(quick_seconds)} claims)"
                    if quick_wall else "")
                 + (f", torch {env.get('torch')}, {env.get('threads')} thread(s) per claim on "
                    f"{env.get('cpu')} ({env.get('cpus')} CPUs)" if env else "") + ".")
    if carried:
        dates = sorted({c["date"] for c in carried.values()})
        lines += ["", f"Run for this table: {len(rows)}; carried over from earlier tables "
                  f"({len(carried)}, not re-run, the date of their run beside the claim): "
                  + ", ".join(dates) + "."]
    if missing:
        lines += ["", f"Not re-run at the full budget for this table ({len(missing)}; their "
                  "verdicts of record are in the earlier tables): "
                  + ", ".join(f"`{m}`" for m in sorted(missing)) + "."]
    if agree:
        lines.append("")
        lines.append(f"Quick against full: {agree.count('equal')} equal, "
                     f"{agree.count('contradiction')} contradictions, {agree.count('weaker')} "
                     f"weaker (one of the two inconclusive), of {len(agree)} with both.")
    lines += ["", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    body = {}
    for r in rows:
        verdict = f"**{r['verdict']}**" + (f" ({r['notes']})" if r["notes"].startswith("budget:")
                                            else "")
        body[r["claim"]] = "| " + " | ".join(_cell(x) for x in (
            f"`{r['claim']}`", r["old"], verdict, r["deciding"], _fmt(r["effect"]), r["interval"],
            r["threshold"], r["seeds"], r["precondition"], r["quick"], r["agreement"],
            _fmt(r["seconds"]))) + " |"
    body.update({k: c["line"] for k, c in carried.items()})
    lines += [body[k] for k in sorted(body)]
    return "\n".join(lines) + "\n"


def update_page(path: str | Path, section: str) -> Path:
    """Put ``section`` at the top of the verdicts page at ``path``; keep what was there below it,
    under "Earlier tables" (a page without the title is kept whole as the first earlier table)."""
    path = Path(path)
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    body = previous
    head, _, rest = previous.partition("\n")
    if head.strip() == TITLE:  # a page this module wrote: drop its title and lede
        body = rest.lstrip("\n")
        body = body[body.index("## "):] if "## " in body else ""
    if body and EARLIER in body:
        new_part, _, older = body.partition(EARLIER)
        body = older.lstrip("\n")
        earlier_block = f"{EARLIER}\n\n{demote(new_part.strip())}\n\n{body}" if new_part.strip() \
            else f"{EARLIER}\n\n{body}"
    elif body:
        earlier_block = f"{EARLIER}\n\n{demote(body.strip())}\n"
    else:
        earlier_block = ""
    text = (f"{TITLE}\n\nEvery registered claim's verdict of record (the latest full-budget run), "
            "newest table first; rebuild with `neuralab claims table`.\n\n" + section
            + ("\n" + earlier_block if earlier_block else ""))
    atomic_write_text(path, text.rstrip("\n") + "\n")
    return path


def demote(markdown: str) -> str:
    """Headings one level down (``#`` -> ``###`` for an old page's title, ``##`` -> ``###``)."""
    return re.sub(r"^(#{1,2}) ", "### ", markdown, flags=re.M)
