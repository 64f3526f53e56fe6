"""The char-LM testbed: norm placement, layer dropping, and KV-cache generation."""

import math

import pytest
import torch

from neuralab.data.dataset import DataSpec
from neuralab.errors import NeuralabError
from neuralab.models.base import build_model
from neuralab.registry import REGISTRY

LM = DataSpec("sequence", (16,), 20, vocab_size=20)


def lm(**params):
    return build_model("transformer", LM, {"d_model": 32, "n_layers": 4, "n_heads": 4, **params},
                       seed=0).eval()


def test_attention_step_equals_the_causal_parallel_forward():
    torch.manual_seed(0)
    attn = REGISTRY.create("mixer", "softmax_attention", 16, 4, True).eval()
    x = torch.randn(3, 9, 16)
    state = attn.init_state(3)
    steps = []
    for t in range(9):
        y, state = attn.step(x[:, t], state)
        steps.append(y)
    torch.testing.assert_close(torch.stack(steps, 1), attn(x), atol=1e-5, rtol=1e-5)
    assert state[0].shape == (3, 4, 9, 4)  # the KV cache holds every position
    with pytest.raises(NeuralabError, match="non-causal"):
        REGISTRY.create("mixer", "softmax_attention", 16, 4, False).init_state(1)


@pytest.mark.parametrize("position", ["pre", "post", "mix", "scaled"])
def test_stepping_the_lm_equals_full_recomputation(position):
    model = lm(norm_position=position, mix_ratio=0.5)
    x = torch.randint(0, 20, (2, 16))
    full = model(x)  # (B, T, V)
    state = model.init_state(2)
    for t in range(16):
        logits, state = model.step(x[:, t], state)
        torch.testing.assert_close(logits, full[:, t], atol=1e-5, rtol=1e-5)
    with pytest.raises(NeuralabError, match="beyond the model's context"):
        model.step(x[:, 0], state)


def test_greedy_generation_matches_recomputing_the_prefix():
    model = lm()
    prompt = torch.randint(0, 20, (2, 5))
    out = model.generate(prompt, 8, greedy=True)
    seq = prompt
    for _ in range(8):  # the slow way: recompute the whole prefix for every new token
        nxt = model(seq)[:, -1].argmax(-1, keepdim=True)
        seq = torch.cat([seq, nxt], 1)
    assert torch.equal(out, seq)
    g = torch.Generator().manual_seed(3)
    sampled = model.generate(prompt, 8, temperature=0.8, generator=g)
    assert sampled.shape == (2, 13) and torch.equal(sampled[:, :5], prompt)
    with pytest.raises(NeuralabError, match="must fit the context"):
        model.generate(prompt, 12)


def test_norm_placements_follow_their_definitions():
    mix = lm(norm_position="mix", mix_ratio=0.5)
    assert [b.norm_position for b in mix.blocks] == ["post", "post", "pre", "pre"]
    assert not isinstance(mix.final_norm, torch.nn.Identity)
    post = lm(norm_position="post")
    assert isinstance(post.final_norm, torch.nn.Identity)
    scaled = lm(norm_position="scaled")
    assert [b.norm_scale for b in scaled.blocks] == pytest.approx([1 / math.sqrt(l) for l in (1, 2, 3, 4)])
    # LayerNorm Scaling: block l computes x + mixer(LN(x) / sqrt(l)) + ...
    block, x = scaled.blocks[2], torch.randn(2, 16, 32)
    h = x + block.mixer(block.norm1(x) / math.sqrt(3))
    torch.testing.assert_close(block(x), h + block.ffn(block.norm2(h) / math.sqrt(3)))
    post_block = post.blocks[0]
    h = post_block.norm1(x + post_block.mixer(x))
    torch.testing.assert_close(post_block(x), post_block.norm2(h + post_block.ffn(h)))


def test_dropping_blocks_skips_them_and_restores():
    model = lm()
    x = torch.randint(0, 20, (2, 16))
    full = model(x)
    with model.dropping_blocks([1, 3]):
        dropped = model(x)
        h = model.stem(x) + model.pos[:16]
        h = model.blocks[2](model.blocks[0](h))
        torch.testing.assert_close(dropped, model.head(model.final_norm(h)))
    torch.testing.assert_close(model(x), full)
    with pytest.raises(NeuralabError, match="cannot drop blocks"):
        with model.dropping_blocks([4]):
            pass


def test_activation_and_ffn_by_name_reach_the_blocks():
    model = lm(ffn="swiglu", activation="relu2")
    assert type(model.blocks[0].ffn).__name__ == "GatedFeedForward"
    model = lm(activation="polynorm")
    assert type(model.blocks[0].ffn.act).__name__ == "PolyNorm"
