"""glu_variants: the rule on constructed losses, the precondition, the shared ReLU population, a
smoke run whose GLU arms really use the gated FFN with matched parameters."""

import torch

from neuralab.claims import claim_record, get_claim
from neuralab.claims.activations._activation_sweep import _config, arm_name
from neuralab.claims.activations.glu_variants import RELU, VARIANTS
from neuralab.components.gated_feedforward import GatedFeedForward
from neuralab.config import build_config
from neuralab.data import load_dataset
from neuralab.models import build_model


def _records(swiglu=0.03, geglu=0.03, flat=True):
    rows = []
    for s in range(6):
        arms = ((RELU, 1.50), (VARIANTS["swiglu"], 1.50 - swiglu), (VARIANTS["geglu"], 1.50 - geglu))
        for arm, loss in arms:
            rows.append(claim_record(arm, s, "test_loss", loss + 0.01 * s + 0.002 * (s % 2), step=600))
            for step in range(0, 601, 30):
                rows.append(claim_record(arm, s, "batch_loss",
                                         1.6 if flat and step > 400 else 3.0 - step / 300, step=step))
    return rows


def test_rule_and_precondition():
    claim = get_claim("glu_variants")
    assert claim.check(_records()).verdict == "reproduced"
    worse = claim.check(_records(geglu=-0.05))
    assert worse.verdict == "not reproduced" and "geglu" in worse.decided
    assert claim.budget_failure(_records()) is None
    assert "still moving" in claim.budget_failure(_records(flat=False))


def test_arm_names_and_the_gated_ffn_at_equal_parameters():
    assert arm_name("char_lm", "relu", ffn="swiglu") == "char_lm/relu/swiglu"
    assert arm_name("char_lm", "relu") == RELU
    counts = {}
    for ffn in ("mlp", "swiglu", "geglu"):
        config = build_config(_config("char_lm", "relu", "full", ffn=ffn))
        assert config.model.params.get("ffn", "mlp") == ffn
        data = load_dataset("stdlib_chars", max_chars=20_000, seq_len=64)
        model = build_model("transformer", data.spec, config.model.params)
        counts[ffn] = sum(p.numel() for p in model.parameters())
        block_ffn = model.blocks[0].ffn
        if ffn == "mlp":
            assert not isinstance(block_ffn, GatedFeedForward)
        else:  # the gate's own activation, whatever the testbed's (relu) is
            assert isinstance(block_ffn, GatedFeedForward)
            assert isinstance(block_ffn.act, {"swiglu": torch.nn.SiLU, "geglu": torch.nn.GELU}[ffn])
    # 2/3 of the hidden width with two input matrices: the same count up to rounding
    assert abs(counts["swiglu"] - counts["mlp"]) / counts["mlp"] < 0.01
    assert counts["geglu"] == counts["swiglu"]


def test_smoke_shares_the_relu_population():
    from neuralab.claims.activations._activation_sweep import _population

    claim = get_claim("glu_variants")
    get_claim("rmsnorm_vs_layernorm").run("smoke")
    before = _population.cache_info().hits
    records = claim.run("smoke")
    assert _population.cache_info().hits > before  # the ReLU arm was not trained again
    assert {r["run"] for r in records} == {RELU, *VARIANTS.values()}
    assert claim.verdict(records, "smoke").verdict == "smoke check"
