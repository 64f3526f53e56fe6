from neuralab.claims import VERDICTS, by_seed, claim_record, run_claim
from neuralab.claims.theory.neural_collapse import NeuralCollapse
from smoke_check import check_precondition_judged


def test_verdict_reads_the_drop_within_the_terminal_phase():
    rows = []
    for seed in (0, 1, 2):  # zero train error from step 2: NC1 100 -> 0.5 is > 2 orders
        for step, acc, nc1 in ((1, 0.9, 1e4), (2, 1.0, 100.0), (3, 1.0, 0.5)):
            rows += [claim_record("mlp", seed, "train_accuracy_all", acc, step=step),
                     claim_record("mlp", seed, "nc1", nc1, step=step),
                     claim_record("mlp", seed, "nc2_max_angle", 0.02, step=step)]
    verdict = NeuralCollapse().check(rows)
    assert verdict.verdict == "reproduced"
    assert verdict.parts[0].effect == __import__("pytest").approx(2.30103, rel=1e-4)


def test_smoke():
    result = run_claim("neural_collapse", "smoke")
    check_precondition_judged(result)
    assert set(by_seed(result.records, "mlp", "nc1")) == {0, 1}
    assert result.claim.check(result.records).verdict in VERDICTS and len(result.verdict.parts) == 2
    assert result.claim.verdict(result.records, "smoke").to_dict() == result.verdict.to_dict()
