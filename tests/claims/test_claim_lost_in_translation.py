import torch
from torch import nn

from neuralab.claims import VERDICTS, by_seed, run_claim
from neuralab.claims.probes.lost_in_translation import CROP, SCENE, SPREAD, measure
from neuralab.data.digits_canvas import digit_scenes
from smoke_check import check_precondition_judged


def test_cyclic_crop_selection_is_never_fooled_even_for_a_position_sensitive_model():
    scenes, labels, _ = digit_scenes("test", canvas=SCENE, spread=SPREAD, background=0.3)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(CROP * CROP, 10))
    metrics = measure(model, scenes[:100], labels[:100])
    assert metrics["cyclic_rics_fooling"] == 0.0
    assert metrics["centre_fooling"] > 0.0  # a linear map of raw pixels moves with the content


def test_smoke():
    result = run_claim("lost_in_translation", "smoke")
    check_precondition_judged(result)
    assert set(by_seed(result.records, "cnn", "rics_fooling")) == {0, 1}
    assert result.claim.check(result.records).verdict in VERDICTS and len(result.verdict.parts) == 4
    assert result.claim.verdict(result.records, "smoke").to_dict() == result.verdict.to_dict()
