"""The claims report: what it shows, that it comes from the store alone, escaping, atomic writes;
the index by theme with its summary line, the rule's picture of every claim part, and a page per
sweep. Every HTML page of a built report must parse as HTML5 without a single parse error."""

import inspect
from pathlib import Path

import html5lib
import numpy as np
import pytest
from matplotlib.image import imread

from claim_fixtures import ReportToyClaim, store_claim_run  # noqa: F401  (registers the toy claims)
from neuralab.claims import claim_record, combine, decide, run_claim
from neuralab.claims.labels import SMOKE_LABEL
from neuralab.claims.runner import get_claim
from neuralab.engine.sweep import expand
from neuralab.engine.sweep_store import run_sweep
from neuralab.errors import NeuralabError
from neuralab.registry import REGISTRY
from neuralab.report import build_report
from neuralab.report.figures import curves_figure, interval_figure, sweep_figure
from neuralab.report.interval_strip import interval_strip
from neuralab.report.site import arm_table, fmt, seed_table
from neuralab.report.themes import OTHER, claim_theme, module_theme
from neuralab.report.verdict_kinds import (INCONCLUSIVE, INCONCLUSIVE_BUDGET, KINDS, NEEDS_FULL,
                                           NOT_REPRODUCED, NOT_RUN, REPRODUCED, SMOKE_CHECK,
                                           result_kind, summary_line)
from neuralab.store import RunStore

CLAIMS_DIR = Path(__file__).resolve().parents[1] / "src" / "neuralab" / "claims"
SWEEP = {"name": "tiny-lr", "grid": {"seed": [0, 1], "optim.lr": [0.05, 0.2]},
         "base": {"data": {"name": "xor_clusters", "n_train": 128, "n_test": 64},
                  "model": {"name": "mlp", "width": 8}, "optim": {"name": "sgd"},
                  "train": {"steps": 12, "batch_size": 16, "eval_every": 6,
                            "eval_train_examples": 32}}}


def _ghost_run(store: RunStore) -> str:
    """A claim run in the store whose claim is not registered in this process."""
    return store_claim_run(
        store, "ghost_claim", "smoke", decide({0: 1.0, 1: 2.0, 2: float("nan")}, 0.0, "ghost effect"),
        config={"statement": "A claim only the store knows.", "paper": "Ghost Paper",
                "arxiv": None, "seeds": [0, 1, 2], "thresholds": {"t": 0.0},
                "budgets": {"smoke": {}, "full": {}}},
        records=[claim_record("x", s, "v", 1.0) for s in range(3)])


def _parse(path: Path):
    """``path`` parsed by html5lib in strict mode (any parse error raises), as an element tree."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(path.read_bytes())


def _text(element) -> str:
    return " ".join("".join(element.itertext()).split())


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
    assert "ghost_claim" in html and ghost in html

    page = (out / "claims" / "report_toy_claim.html").read_text()
    for text in ("a minus b accuracy", "lead of a", "../figures/report_toy_claim-interval-1.png",
                 "../figures/report_toy_claim-interval-2.png",
                 "../figures/report_toy_claim-curves.png", "A Paper &lt;with&gt; Markup",
                 "arXiv:0000.00001", "scale = 2.0", "a beats b by 0.3."):
        assert text in page, text
    for kind in ("interval-1", "interval-2", "curves"):
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
    assert interval_figure(verdict).startswith(b"\x89PNG")
    assert curves_figure(records, ["m"]).startswith(b"\x89PNG")
    assert curves_figure([claim_record("a", 0, "m", 1.0)]) is None  # one step: no curve
    assert interval_figure(decide({}, 0.0, "nothing").to_dict()) is None
    smoke = decide({0: 0.2, 1: 0.4, 2: 0.3}, 0.1, "gap").with_label(SMOKE_LABEL, "").to_dict()
    assert interval_figure(smoke) is None  # a smoke check has no verdict to picture
    points = [({"optim.lr": lr, "seed": s}, 0.5 + lr + 0.01 * s) for lr in (0.1, 1.0) for s in (0, 1)]
    assert sweep_figure(points, ["optim.lr", "seed"], "test_accuracy").startswith(b"\x89PNG")
    assert sweep_figure([({"seed": 0}, None)], ["seed"], "test_accuracy") is None


@pytest.mark.parametrize("summary, has_quick, kind", [
    ({"budget": "full", "verdict": "reproduced"}, True, REPRODUCED),
    ({"budget": "quick", "verdict": "not reproduced"}, True, NOT_REPRODUCED),
    ({"budget": "quick", "verdict": "inconclusive", "notes": "fewer than two seeds"}, True,
     INCONCLUSIVE),
    ({"budget": "full", "verdict": "inconclusive", "notes": "budget: a: loss still moving"}, False,
     INCONCLUSIVE_BUDGET),
    ({"budget": "smoke", "verdict": "reproduced"}, True, SMOKE_CHECK),  # never a verdict
    ({"budget": "smoke", "verdict": "smoke check"}, False, NEEDS_FULL),
    (None, False, NEEDS_FULL),
    (None, True, NOT_RUN),
])
def test_result_kinds(summary, has_quick, kind):
    assert result_kind(summary, has_quick) == kind


def test_summary_line_counts_each_kind_in_order():
    kinds = [NEEDS_FULL, REPRODUCED, SMOKE_CHECK, INCONCLUSIVE_BUDGET, NEEDS_FULL, REPRODUCED]
    assert summary_line(kinds) == ("2 reproduced · 1 inconclusive (budget) · 2 need --budget full"
                                   " · 1 smoke check: ran, no verdict")
    assert summary_line([SMOKE_CHECK, SMOKE_CHECK, NEEDS_FULL]) == \
        "1 needs --budget full · 2 smoke checks: ran, no verdict"


def test_a_claims_theme_is_the_folder_of_its_module():
    assert module_theme("neuralab.claims.sequence.hopfield_capacity") == "sequence"
    for module in ("neuralab.claims.base", "claim_fixtures", "neuralab.claims.a.b.c", "x.claims.a.b"):
        assert module_theme(module) == OTHER, module
    assert claim_theme("report_toy_claim") == OTHER and claim_theme("no_such_claim") == OTHER
    folders = {p.parent.name for p in CLAIMS_DIR.glob("*/__init__.py")}
    themes = set()
    for name in REGISTRY.names("claim"):
        source = Path(inspect.getfile(REGISTRY.get("claim", name).factory))
        if CLAIMS_DIR in source.parents:
            assert claim_theme(name) == source.parent.name, name
            themes.add(claim_theme(name))
    assert themes == folders  # every theme folder holds claims, and nothing else is a theme


def test_interval_strip_draws_the_threshold_and_the_passing_side():
    verdict = {"interval": [1.0, 2.0], "threshold": 0.0, "direction": "greater", "effect": 1.5,
               "per_seed": {"0": 1.2, "1": 1.5, "2": 1.8}}
    svg = str(interval_strip(verdict, REPRODUCED))
    assert svg.startswith("<svg") and svg.count("<line") == 5  # threshold, interval, 3 seeds
    assert 'x1="6.0" x2="6.0"' in svg  # the threshold is the left end of the scale
    assert '<rect x="6.0" y="0" width="134.0"' in svg  # greater: shaded from it to the right
    assert 'x1="70.0" x2="134.0"' in svg  # the interval [1, 2] on the scale [0, 2]
    assert interval_strip(verdict, SMOKE_CHECK) is None
    assert interval_strip({**verdict, "interval": [float("nan")] * 2}, REPRODUCED) is None


def _passing(seeds: int = 5, base: float = 0.5):
    return decide({s: base + 0.01 * s for s in range(seeds)}, 0.1, "gap")


KNOWN = {  # claim: (theme, budget, verdict, kind)
    "he_init_prelu": ("activations", "quick", _passing(), REPRODUCED),
    "lmul_precision": ("compression", "full", decide({s: -0.01 * s for s in range(5)}, 0.1, "gap"),
                       NOT_REPRODUCED),
    "adamp": ("optimization", "quick", decide({0: -1.0, 1: 1.0, 2: -0.5, 3: 0.8, 4: 0.1}, 0.1, "gap"),
              INCONCLUSIVE),
    "expected_length": ("theory", "quick",  # both parts pass, but the precondition failed
                        combine([_passing(), _passing(base=0.7)], "both")
                        .with_label("inconclusive", "budget: a: loss still moving"),
                        INCONCLUSIVE_BUDGET),
    "hopfield_capacity": ("sequence", "smoke", _passing(2).with_label(SMOKE_LABEL, ""), SMOKE_CHECK),
    "report_full_only_claim": (OTHER, "smoke", _passing(2).with_label(SMOKE_LABEL, ""), NEEDS_FULL),
}


@pytest.fixture(scope="module")
def known_report(tmp_path_factory):
    """A report of a store with known verdicts (one of each kind), the toy claim's two-part full
    run, and a sweep of four members."""
    assert "quick" in get_claim("hopfield_capacity").budgets  # so its smoke run is a smoke check
    root = tmp_path_factory.mktemp("known")
    store = RunStore(root / "runs")
    for claim_id, (_, budget, verdict, _) in KNOWN.items():
        store_claim_run(store, claim_id, budget, verdict)
    toy = run_claim("report_toy_claim", "full", store=store)
    sweep = run_sweep(expand(SWEEP), store, progress="none")
    build_report(store, root / "site")
    return root / "site", toy, sweep


def _expected_kind(claim_id: str):
    if claim_id in KNOWN:
        return KNOWN[claim_id][3]
    if claim_id == "report_toy_claim":
        return REPRODUCED
    return NOT_RUN if "quick" in REGISTRY.get("claim", claim_id).factory.budgets else NEEDS_FULL


def test_index_groups_claims_by_theme_under_a_summary_line(known_report):
    site, _, _ = known_report
    tree = _parse(site / "index.html")
    expected = {c: _expected_kind(c) for c in REGISTRY.names("claim")}
    counts = {k: list(expected.values()).count(k) for k in KINDS}
    assert counts[REPRODUCED] == 2 and counts[SMOKE_CHECK] == 1 and counts[NEEDS_FULL] >= 1
    line = " · ".join(k.count(n) for k, n in counts.items() if n)
    assert _text(tree.find(".//p[@id='summary']")) == line

    sections = tree.findall(".//section[@class='theme']")
    themes = [s.get("id").removeprefix("theme-") for s in sections]
    assert themes == sorted(t for t in themes if t != OTHER) + [OTHER]
    assert {t for t, *_ in KNOWN.values()} <= set(themes)
    seen = {}
    for theme, section in zip(themes, sections):
        for row in section.iter("tr"):
            if row.get("data-claim"):
                claim_id = row.get("data-claim")
                assert claim_theme(claim_id) == theme, claim_id
                seen[claim_id] = row
    assert set(seen) == set(REGISTRY.names("claim"))
    for claim_id, row in seen.items():
        assert row.get("data-kind") == expected[claim_id].css, claim_id
    smoke = _text(seen["hopfield_capacity"])
    assert "smoke check: ran, no verdict" in smoke and "reproduced" not in smoke
    assert "needs --budget full" in _text(seen["report_full_only_claim"])
    assert "budget: a: loss still moving" in _text(seen["expected_length"])


def test_index_shows_the_deciding_part(known_report):
    site, toy, _ = known_report
    row = _parse(site / "index.html").find(".//tr[@data-claim='report_toy_claim']")
    cells = [_text(td) for td in row.findall("td")]
    # a - b = 0.3 + 0.01 s and the lead 0.6 + 0.01 s over seeds 0..5, thresholds 0.1 and 0.5:
    # both reproduced, and the lead, nearer its threshold, is the weaker part that decides
    assert toy.verdict.decided == "lead of a"
    assert cells[3] == "lead of a" and cells[4] == "0.625"
    assert row.find(".//{http://www.w3.org/2000/svg}svg") is not None  # the rule, drawn small


@pytest.mark.parametrize("claim_id, color", [
    ("he_init_prelu", REPRODUCED.color), ("lmul_precision", NOT_REPRODUCED.color),
    ("adamp", INCONCLUSIVE.color), ("expected_length", INCONCLUSIVE_BUDGET.color)])
def test_each_part_figure_is_coloured_by_its_verdict(known_report, claim_id, color):
    site, _, _ = known_report
    image = imread(site / "figures" / f"{claim_id}-interval-1.png")[..., :3]
    rgb = np.array([int(color[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(image - rgb).max(axis=-1) < 0.02).sum() > 20  # the label and the dots
    other = REPRODUCED.color if color != REPRODUCED.color else NOT_REPRODUCED.color
    rgb_other = np.array([int(other[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    assert (np.abs(image - rgb_other).max(axis=-1) < 0.02).sum() == 0


def test_every_claim_part_has_its_interval_figure(known_report):
    site, toy, _ = known_report
    drawn = {c: KNOWN[c][2] for c in KNOWN if KNOWN[c][3].has_verdict}
    drawn["report_toy_claim"] = toy.verdict
    for claim_id, verdict in drawn.items():
        parts = verdict.parts or (verdict,)
        page = (site / "claims" / f"{claim_id}.html").read_text()
        for i, part in enumerate(parts, 1):
            name = f"{claim_id}-interval-{i}.png"
            assert (site / "figures" / name).read_bytes().startswith(b"\x89PNG"), name
            assert f"../figures/{name}" in page and part.measure in page
        assert not (site / "figures" / f"{claim_id}-interval-{len(parts) + 1}.png").exists()
    for claim_id in ("hopfield_capacity", "report_full_only_claim"):  # no verdict, no picture
        assert not list(site.glob(f"figures/{claim_id}-interval-*"))
        assert "interval-" not in (site / "claims" / f"{claim_id}.html").read_text()


def test_a_sweep_family_page_lists_its_members(known_report):
    site, _, sweep = known_report
    page = site / "families" / f"{sweep.sweep_id}.html"
    rows = _parse(page).findall(".//table[@class='members']/tbody/tr")
    assert [r.get("data-run") for r in rows] == sweep.run_ids
    header = [_text(th) for th in _parse(page).findall(".//table[@class='members']/thead/tr/th")]
    assert header[:7] == ["member", "run", "status", "step", "optim.lr", "seed", "test_accuracy"]
    for row, member in zip(rows, sweep.members):
        cells = [_text(td) for td in row.findall("td")]
        assert cells[4:7] == [fmt(member.config.optim.params["lr"]), str(member.config.seed),
                              fmt(member.metrics["test_accuracy"])]
    assert (site / "figures" / f"{sweep.sweep_id}-sweep.png").read_bytes().startswith(b"\x89PNG")
    link = _parse(site / "index.html").find(f".//tr[@data-family='{sweep.sweep_id}']//a")
    assert link.get("href") == f"families/{sweep.sweep_id}.html" and _text(link) == "tiny-lr"
    group = _parse(site / "index.html").find(".//tbody[@data-group='tiny-lr']")
    assert group is not None and group.find(f"tr[@data-family='{sweep.sweep_id}']") is not None
    md = (site / "families" / f"{sweep.sweep_id}.md").read_text()
    assert all(run_id in md for run_id in sweep.run_ids)


def test_every_page_parses_as_html5_without_errors(known_report):
    site, _, _ = known_report
    pages = sorted(site.rglob("*.html"))
    assert len(pages) == len(REGISTRY.names("claim")) + 2  # the index, the claims, one sweep
    for page in pages:
        _parse(page)  # strict: the first parse error raises


def test_the_index_groups_sweeps_by_name_newest_first_in_a_stable_order():
    from types import SimpleNamespace

    from neuralab.report.families import family_groups

    def family(name: str, created: float, run_id: str):
        return SimpleNamespace(name=name, run=SimpleNamespace(created=created, id=run_id))

    a1, a2, a3 = family("a", 1.0, "r1"), family("a", 3.0, "r3"), family("a", 3.0, "r4")
    b1 = family("b", 2.0, "r2")
    for order in ([a1, a2, a3, b1], [b1, a3, a1, a2]):
        assert family_groups(order) == [("a", [a3, a2, a1]), ("b", [b1])]
