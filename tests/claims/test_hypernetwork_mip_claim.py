"""The MIP claim at smoke budget, and its measures on constructed curves."""

import math

from neuralab.claims import claim_record, get_claim, run_claim
from neuralab.claims.architectures.hypernetwork_mip import EVERY, steps_to_target
from smoke_check import check_precondition_judged


def test_hypernetwork_mip_smoke():
    result = run_claim("hypernetwork_mip", "smoke")
    check_precondition_judged(result)
    arms = {r["run"] for r in result.records}
    assert arms == {"default/lr0.001", "default/lr0.03", "mip/lr0.001", "mip/lr0.03"}
    assert len(result.verdict.parts) == 2


def test_steps_to_target_and_check():
    assert steps_to_target([2.0, 0.5, 0.2], 100) == 2 * EVERY
    assert steps_to_target([2.0, 0.5], 100) == 100 + EVERY  # never reached: censored
    claim = get_claim("hypernetwork_mip")
    rows = []
    for s in claim.seeds:
        for param, reach, final in (("default", 200, 0.4), ("mip", 100, 0.2)):
            for lr in ("0.001", "0.01"):
                rows += [claim_record(f"{param}/lr{lr}", s, "grid_loss", 2.3, step=0),
                         claim_record(f"{param}/lr{lr}", s, "grid_loss", final, step=500),
                         claim_record(f"{param}/lr{lr}", s, "steps_to_target", reach)]
    v = claim.check(rows)
    assert v.parts[0].effect == 1.0 and abs(v.parts[1].effect - math.log(2)) < 1e-9
    assert v.verdict == "reproduced"
