import torch

from neuralab.claims import VERDICTS, by_seed, run_claim
from neuralab.claims.probes.gradcam_pointing import ink_map
from neuralab.probes.class_activation import pointing_hits
from smoke_check import check_precondition_judged


def test_the_ink_map_points_at_the_brightest_blob():
    x = torch.zeros(1, 1, 24, 24)
    x[0, 0, 3:6, 15:18] = 1.0
    assert pointing_hits(ink_map(x), torch.tensor([[2, 14, 6, 6]])).all()


def test_smoke():
    result = run_claim("gradcam_pointing", "smoke")
    check_precondition_judged(result)
    for arm in ("gradcam", "eigencam", "ink", "random"):
        assert set(by_seed(result.records, arm, "hit_rate")) == {0, 1}
    assert result.claim.check(result.records).verdict in VERDICTS and len(result.verdict.parts) == 2
    assert result.claim.verdict(result.records, "smoke").to_dict() == result.verdict.to_dict()
