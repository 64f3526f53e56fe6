"""The NF-ResNet claim at smoke budget."""

from neuralab.claims import run_claim
from smoke_check import check_precondition_judged


def test_nf_resnet_smoke():
    result = run_claim("nf_resnet_vs_bn", "smoke")
    check_precondition_judged(result)
    assert {r["run"] for r in result.records} == {"nf", "bn"}
    assert len(result.verdict.per_seed) == 2
