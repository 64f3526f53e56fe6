"""The NF-ResNet claim at smoke budget."""

from neuralab.claims import run_claim


def test_nf_resnet_smoke():
    result = run_claim("nf_resnet_vs_bn", "smoke")
    assert {r["run"] for r in result.records} == {"nf", "bn"}
    assert len(result.verdict.per_seed) == 2
