from claim_smoke import smoke


def test_smoke():
    result = smoke("relu_attention_length", {arm: ("test_accuracy", "batch_loss")
                                             for arm in ("softmax", "relu/L", "relu")})
    assert "unscaled ReLU minus ReLU/L" in result.verdict.notes
