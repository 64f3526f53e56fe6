"""The verdicts page: a new table on top from the run stores, earlier tables kept below."""

from claim_fixtures import ReportToyClaim  # noqa: F401  (registers the toy claims)
from neuralab.claims.runner import run_claim
from neuralab.claims.verdicts_doc import (agreement, earlier_verdicts, render_table, update_page,
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


def test_earlier_verdicts_read_the_first_table():
    assert earlier_verdicts(OLD_PAGE) == {"report_toy_claim": "not reproduced",
                                          "other_claim": "inconclusive"}


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
