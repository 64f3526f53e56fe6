from smoke_check import smoke

from neuralab.claims import claim_record
from neuralab.claims.architectures.mnist1d_baselines import ARMS, Mnist1dBaselines


def _records(accuracies):
    return [claim_record(arm, s, "test_accuracy", acc + 0.01 * s)
            for arm, acc in accuracies.items() for s in range(3)]


def test_check_on_known_numbers():
    paper_like = {"logistic": 0.32, "mlp": 0.68, "cnn": 0.94, "mlp/shuffled": 0.67,
                  "cnn/shuffled": 0.6}
    verdict = Mnist1dBaselines().check(_records(paper_like))
    assert verdict.verdict == "reproduced"
    assert [round(p.effect, 6) for p in verdict.parts] == [0.26, 0.36, 0.34, 0.01]
    spatial_prior_survives = {**paper_like, "cnn/shuffled": 0.93}
    verdict = Mnist1dBaselines().check(_records(spatial_prior_survives))
    assert verdict.verdict == "not reproduced" and verdict.parts[2].verdict == "not reproduced"


def test_smoke():
    smoke("mnist1d_baselines", {arm: ("test_accuracy", "train_accuracy") for arm in ARMS}, parts=4)
