"""The claims report: what it shows, that it comes from the store alone, escaping, atomic writes."""

import pytest
from matplotlib.image import imread

from claim_fixtures import ReportToyClaim  # noqa: F401  (registers the toy claims)
from neuralab.claims import claim_record, decide, run_claim
from neuralab.engine.metrics import RecordLog
from neuralab.errors import NeuralabError
from neuralab.report import build_report
from neuralab.report.figures import curves_figure, effect_figure
from neuralab.report.site import arm_table, seed_table
from neuralab.store import RunStore


def _ghost_run(store: RunStore) -> str:
    """A claim run in the store whose claim is not registered in this process."""
    run = store.create({"claim": "ghost_claim", "statement": "A claim only the store knows.",
                        "paper": "Ghost Paper", "arxiv": None, "seeds": [0, 1, 2],
                        "thresholds": {"t": 0.0}, "budgets": {"smoke": {}, "full": {}}},
                       kind="claim", name="ghost_claim")
    verdict = decide({0: 1.0, 1: 2.0, 2: float("nan")}, 0.0, "ghost effect")
    RecordLog(run.records_path).extend([claim_record("x", s, "v", 1.0) for s in range(3)])
    store.update(run.id, status="completed", summary={"claim": "ghost_claim", "budget": "smoke",
                                                      "seconds": 0.1, **verdict.to_dict()})
    return run.id


def test_report_from_the_store(runs_dir, tmp_path):
    store = RunStore(runs_dir)
    run_claim("report_toy_claim", "smoke", store=store)
    full = run_claim("report_toy_claim", "full", store=store).run_id
    ghost = _ghost_run(store)
    out = tmp_path / "site"
    index = build_report(store, out)
    assert index == out / "index.html"

    html = index.read_text()
    assert 'href="claims/report_toy_claim.html"' in html and full in html
    assert "reproduced" in html and "not run" in html  # report_failing_claim never completed
    assert "Arm &lt;b&gt;a&lt;/b&gt; beats arm b &amp; keeps its lead." in html  # autoescaped
    assert "ghost_claim" in html and ghost in html and "inconclusive" in html

    page = (out / "claims" / "report_toy_claim.html").read_text()
    for text in ("a minus b accuracy", "lead of a", "../figures/report_toy_claim-effect.png",
                 "../figures/report_toy_claim-curves.png", "A Paper &lt;with&gt; Markup",
                 "arXiv:0000.00001", "scale = 2.0", "a beats b by 0.3."):
        assert text in page, text
    for kind in ("effect", "curves"):
        image = imread(out / "figures" / f"report_toy_claim-{kind}.png")
        assert image.shape[0] > 100 and image.shape[1] > 100

    md = (out / "claims" / "report_toy_claim.md").read_text()
    assert "Arm <b>a</b> beats arm b & keeps its lead." in md and "## Verdict: reproduced" in md
    assert "| 3 | 0.33 | 0.63 |" in md  # seed 3: a - b = 0.9 + 0.03 - 0.6 at the last step
    assert "[report_toy_claim](claims/report_toy_claim.md)" in (out / "index.md").read_text()
    assert (out / "claims" / "report_failing_claim.html").exists()
    assert "nan" in (out / "claims" / "ghost_claim.md").read_text()

    build_report(store, out)  # rebuilds in place; no temporary files are left behind
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]


def test_bad_outputs_write_nothing(tmp_path):
    with pytest.raises(NeuralabError, match="no run store"):
        build_report(RunStore(tmp_path / "none"), tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path / "none").exists()
    store = RunStore(tmp_path / "runs")
    run_claim("report_toy_claim", "smoke", store=store)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NeuralabError, match="not a directory"):
        build_report(store, tmp_path / "file")
    assert (tmp_path / "file").read_text() == "x"


def test_tables_and_figures_from_records():
    verdict = decide({0: 0.2, 1: 0.4, 2: -0.1}, 0.1, "gap").to_dict()
    measures, rows = seed_table(verdict)
    assert measures == ["gap"] and rows == [[0, 0.2], [1, 0.4], [2, -0.1]]
    records = [claim_record("a", s, "m", v, step=st) for s in (0, 1) for st, v in ((0, 1.0), (5, 2.0 + s))]
    [row] = arm_table(records)
    assert row["values"] == [2.0, 3.0] and row["mean"] == pytest.approx(2.5)
    assert effect_figure(verdict).startswith(b"\x89PNG")
    assert curves_figure(records, ["m"]).startswith(b"\x89PNG")
    assert curves_figure([claim_record("a", 0, "m", 1.0)]) is None  # one step: no curve
    assert effect_figure(decide({}, 0.0, "nothing").to_dict()) is None
