from claim_smoke import smoke


def test_smoke():
    smoke("reversed_source", {arm: ("test_accuracy", "batch_loss") for arm in ("forward", "reversed")})
