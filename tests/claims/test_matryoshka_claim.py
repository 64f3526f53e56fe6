"""matryoshka_prefixes: the worst-size rule and precondition on constructed records, and a smoke run."""

from neuralab.claims import claim_record, get_claim
from neuralab.claims.architectures.matryoshka_prefixes import DIMS


def _records(gap_at_4=-0.005, moving=False):
    rows = []
    for s in range(5):
        rows.append(claim_record("mrl", s, "test_examples", 5000))
        for m in DIMS:
            base = 0.6 + 0.05 * DIMS.index(m) + 0.002 * s
            gap = gap_at_4 if m == 4 else 0.01
            rows += [claim_record("mrl", s, "test_accuracy", base + gap, layer=f"m{m}"),
                     claim_record(f"ff/m{m}", s, "test_accuracy", base, layer=f"m{m}"),
                     claim_record("mrl", s, "only_mrl_right", 300, layer=f"m{m}"),
                     claim_record("mrl", s, "only_ff_right", 300 - 5000 * gap, layer=f"m{m}")]
        for arm in ["mrl"] + [f"ff/m{m}" for m in DIMS]:
            for k in range(10):
                loss = 1.0 - 0.05 * k if moving else (1.0 if k < 5 else 0.5)
                rows.append(claim_record(arm, s, "batch_loss", loss, step=100 * (k + 1)))
    return rows


def test_worst_size_rule_and_precondition():
    claim = get_claim("matryoshka_prefixes")
    ok = claim.check(_records())
    assert ok.verdict == "reproduced" and "m4 -0.0050" in ok.notes
    assert claim.check(_records(gap_at_4=-0.1)).verdict == "not reproduced"
    assert claim.check(_records(gap_at_4=-0.02)).verdict == "inconclusive"  # on the margin
    assert claim.budget_failure(_records()) is None
    assert "still moving" in claim.budget_failure(_records(moving=True))


def test_smoke():
    claim = get_claim("matryoshka_prefixes")
    records = claim.run("smoke")
    assert {r["run"] for r in records} == {"mrl"} | {f"ff/m{m}" for m in DIMS}
    assert claim.verdict(records, "smoke").verdict == "smoke check"
