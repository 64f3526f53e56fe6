from smoke_check import smoke

from neuralab.claims import claim_record, get_claim


def _records(layer1_kernel=2.0, layer1_kurtosis=0.0):
    rows = []
    for seed in range(5):
        e = 0.01 * seed
        for c_w, ratio in ((1.6, -2.0), (2.0, 0.05), (2.4, 2.0)):
            rows += [claim_record(f"c_w={c_w}", seed, "kernel", layer1_kernel * c_w / 2,
                                  layer="layer1"),
                     claim_record(f"c_w={c_w}", seed, "log_kernel_ratio", ratio + e)]
        rows += [claim_record("kurtosis", seed, "fit_r2", 0.97 + e / 10),
                 claim_record("kurtosis", seed, "fit_slope", 5.0),
                 claim_record("kurtosis/L3/n32", seed, "layer1_excess_kurtosis", layer1_kurtosis)]
    return rows


def test_known_records_and_precondition():
    claim = get_claim("criticality")
    records = _records()
    assert claim.check(records).verdict == "reproduced"
    assert claim.budget_failure(records) is None
    assert "kernel" in claim.budget_failure(_records(layer1_kernel=2.2))
    assert "kurtosis" in claim.budget_failure(_records(layer1_kurtosis=0.3))
    assert claim.verdict(_records(layer1_kernel=2.2)).verdict == "inconclusive"


def test_smoke():
    smoke("criticality", {"c_w=1.6": ("log_kernel_ratio",), "c_w=2.0": ("log_kernel_ratio",),
                          "c_w=2.4": ("log_kernel_ratio",), "kurtosis": ("fit_r2",),
                          **{f"kurtosis/L{d}/n{w}": ("excess_kurtosis",)
                             for d in (3, 5) for w in (16, 32)}}, parts=3)
