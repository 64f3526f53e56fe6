"""The PHM claim at smoke budget and its parameter-ratio measurement."""

import pytest

from neuralab.claims import run_claim
from neuralab.claims.architectures.phm_parameters import hypercomplex_ratio
from neuralab.data.dataset import DataSpec
from neuralab.models import build_model
from smoke_check import check_precondition_judged


def test_phm_smoke():
    result = run_claim("phm_parameters", "smoke")
    check_precondition_judged(result)
    assert {r["run"] for r in result.records} == {"real", "phc", "quaternion"}
    assert len(result.verdict.parts) == 3
    assert result.claim.check(result.records).parts[2].verdict == "reproduced"  # exact counts


def test_hypercomplex_ratio_counts_filters_algebra_and_biases():
    model = build_model("phc_cnn", DataSpec("classification", (40,), 10), {"n": 4}, seed=0)
    ours = 2 * (32 * 32 * 5 // 4 + 64 + 32)
    assert hypercomplex_ratio(model) == pytest.approx(ours / (2 * (32 * 32 * 5 + 32)))
