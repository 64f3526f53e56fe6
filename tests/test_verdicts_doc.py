"""The verdicts page: a new table on top from the run stores, earlier tables kept below."""

from claim_fixtures import ReportToyClaim  # noqa: F401  (registers the toy claims)
from neuralab.claims.runner import run_claim
from neuralab.claims.verdicts_doc import (agreement, carried_rows, earlier_verdicts,
                                          quick_run_seconds, render_table, update_page,
                                          verdict_rows)
from neuralab.store import RunStore

OLD_PAGE = """# Verdicts at the full budget

Run 2026-11-23.

| claim | paper | verdict | effect ± sd | threshold | budget | seeds |
|---|---|---|---|---|---|---|
| `report_toy_claim` | A Paper | **not reproduced** | 1 ± 0 | > 0.9 | full | 3 |
| `other_claim` | B Paper | **inconclusive** | 1 ± 0 | > 0.9 | full | 3 |

Afterwards: | `ignored` | x | **reproduced** |
"""


NEW_TABLE = """## 2026-12-02: 2 claims at the full budget

1 inconclusive, 1 reproduced. Suite wall time 1.0 min (full).

| claim | old verdict (3 seeds, 2/3 rule) | verdict | deciding part | effect | 90% interval | threshold | seeds | precondition | quick verdict | quick vs full | seconds |
|---|---|---|---|---|---|---|---|---|---|---|---|
| `other_claim` | inconclusive | **reproduced** | a \\| b | 0.5 | [0.1, 0.9] | > 0 | 5 | flat | reproduced | equal | 40 |
| `report_toy_claim` (2026-11-30) | not reproduced | **inconclusive** | c | 0.5 | [-1, 2] | > 0 | 5 | flat |  |  | 20 |
"""


def test_earlier_verdicts_read_the_oldest_table_of_each_claim():
    assert earlier_verdicts(OLD_PAGE) == {"report_toy_claim": "not reproduced",
                                          "other_claim": "inconclusive"}
    page = "# Verdicts\n\n" + NEW_TABLE + "\n## Earlier tables\n\n" + OLD_PAGE
    assert earlier_verdicts(page) == {"report_toy_claim": "not reproduced",
                                      "other_claim": "inconclusive"}


def test_carried_rows_come_from_the_newest_table_dated():
    page = "# Verdicts\n\n" + NEW_TABLE + "\n## Earlier tables\n\n### 2026-11-01: x\n\n" + \
        NEW_TABLE.replace("2026-12-02", "2026-11-01")
    carried = carried_rows(page)
    assert set(carried) == {"other_claim", "report_toy_claim"}
    other, toy = carried["other_claim"], carried["report_toy_claim"]
    assert other["date"] == "2026-12-02" and other["verdict"] == "reproduced"
    assert other["agreement"] == "equal" and other["seconds"] == 40.0
    assert other["line"].startswith("| `other_claim` (2026-12-02) | inconclusive | **reproduced** |")
    assert "a \\| b" in other["line"]  # an escaped pipe stays inside its cell
    assert toy["date"] == "2026-11-30" and toy["line"].startswith("| `report_toy_claim` (2026-11-30) |")
    assert carried_rows(OLD_PAGE) == {}  # the old format has no rows to carry


def test_agreement():
    assert agreement("reproduced", "reproduced") == "equal"
    assert agreement("reproduced", "not reproduced") == "contradiction"
    assert agreement("not reproduced", "inconclusive") == "weaker"
    assert agreement("reproduced", None) == ""


def test_the_page_gets_a_new_table_on_top_and_keeps_the_old_ones(tmp_path):
    full, quick = RunStore(tmp_path / "full"), RunStore(tmp_path / "quick")
    result = run_claim("report_toy_claim", "full", store=full)
    run_claim("report_toy_claim", "quick", store=quick)
    page = tmp_path / "verdicts.md"
    page.write_text(OLD_PAGE)
    rows = verdict_rows(full, quick, earlier_verdicts(OLD_PAGE))
    [row] = rows
    assert row["old"] == "not reproduced" and row["verdict"] == result.verdict.verdict
    assert row["quick"] in ("reproduced", "not reproduced", "inconclusive")
    assert row["seeds"] == 6 and row["deciding"] == result.verdict.decided
    update_page(page, render_table(rows, date="2026-12-02"))
    text = page.read_text()
    assert text.startswith("# Verdicts\n")
    new, _, earlier = text.partition("## Earlier tables")
    assert "## 2026-12-02: 1 claims at the full budget" in new and "Suite wall time" in new
    assert "| `report_toy_claim` | not reproduced | **reproduced** |" in new
    assert "### Verdicts at the full budget" in earlier and "Run 2026-11-23." in earlier
    # a second table: the first new one moves under "Earlier tables", the oldest stays last
    update_page(page, render_table(rows, date="2026-12-09"))
    text = page.read_text()
    assert text.count("## Earlier tables") == 1
    assert text.index("## 2026-12-09") < text.index("### 2026-12-02") < text.index(
        "### Verdicts at the full budget")


def test_the_table_names_the_claims_it_did_not_re_run(tmp_path):
    full = RunStore(tmp_path / "full")
    run_claim("report_toy_claim", "full", store=full)
    section = render_table(verdict_rows(full), date="2026-12-02",
                           missing=["zeta_claim", "alpha_claim"])
    assert ("Not re-run at the full budget for this table (2; their verdicts of record are in "
            "the earlier tables): `alpha_claim`, `zeta_claim`.") in section
    assert "Not re-run" not in render_table(verdict_rows(full), date="2026-12-02")


def test_claims_not_re_run_are_carried_into_the_new_table(tmp_path):
    full = RunStore(tmp_path / "full")
    run_claim("report_toy_claim", "full", store=full)
    page = "# Verdicts\n\n" + NEW_TABLE + "\n## Earlier tables\n\n" + OLD_PAGE
    rows = verdict_rows(full, None, earlier_verdicts(page))
    section = render_table(rows, date="2026-12-09", carried=carried_rows(page))
    assert "## 2026-12-09: 2 claims at the full budget" in section
    assert "carried over from earlier tables (1, not re-run" in section and "2026-12-02" in section
    lines = [x for x in section.splitlines() if x.startswith("| `")]
    assert [x.split("`")[1] for x in lines] == ["other_claim", "report_toy_claim"]  # sorted
    assert lines[0].startswith("| `other_claim` (2026-12-02) |")
    assert lines[1].startswith("| `report_toy_claim` | not reproduced |")  # re-run: its new row
    assert "Quick against full: 1 equal" in section
    wall = rows[0]["seconds"] + 40
    assert f"Suite wall time {wall / 60:.1f} min (full; " in section


def test_the_quick_time_counts_every_claim_of_the_quick_store(tmp_path):
    """Not only the claims re-run at full for this table: the demo's whole quick suite."""
    full, quick = RunStore(tmp_path / "full"), RunStore(tmp_path / "quick")
    run_claim("report_toy_claim", "full", store=full)
    assert quick_run_seconds(quick) == {}
    run_claim("report_toy_claim", "quick", store=quick)
    seconds = quick_run_seconds(quick)
    assert set(seconds) == {"report_toy_claim"} and seconds["report_toy_claim"] >= 0
    section = render_table(verdict_rows(full), date="2026-12-02",
                           quick_seconds={"report_toy_claim": 30.0, "other_claim": 90.0})
    assert "2.0 min (quick: its 2 claims)" in section
