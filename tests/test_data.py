import tempfile
from pathlib import Path

import numpy as np
import pytest
import torch

from neuralab.data import IGNORE_INDEX, TensorBatcher, load_dataset
from neuralab.data.stdlib_chars import VOCAB, decode, encode
from neuralab.errors import ConfigError
from neuralab.registry import REGISTRY

SMALL = {
    "mnist1d": {"num_samples": 500},
    "digits": {},
    "teacher_student": {"n_train": 100, "n_test": 50},
    "xor_clusters": {"n_train": 100, "n_test": 50},
    "sparse_parity": {"n_train": 100, "n_test": 50},
    "modular_arithmetic": {"p": 11},
    "periodic": {"n_train": 100, "n_test": 50},
    "copy": {"n_train": 100, "n_test": 50},
    "associative_recall": {"n_train": 100, "n_test": 50},
    "digits_canvas": {"canvas": 12, "background": 0.1},
    "parity": {"n_train": 100, "n_test": 50},
    "modular_sum": {"n_train": 100, "n_test": 50},
    "selective_copy": {"n_train": 100, "n_test": 50},
    "long_range_matching": {"n_train": 100, "n_test": 50},
    "translation": {"n_train": 100, "n_test": 50},
    "stdlib_chars": {"max_chars": 20000, "seq_len": 32},
    "symbolic": {"n_train": 100, "n_test": 50},
    "sbm": {"n_nodes": 40},
    "csbm": {"n_nodes": 40, "homophily": 0.2},
}


_OWN = Path(tempfile.mkdtemp(prefix="neuralab-own-")) / "own.npz"  # for the `file` dataset
np.savez(_OWN, x_train=np.eye(8, 3, dtype=np.float32), y_train=np.arange(8) % 2)
SMALL["file"] = {"path": str(_OWN)}


def test_every_registered_dataset_is_covered():
    assert set(REGISTRY.names("dataset")) <= set(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_dataset_contract(name):
    d = load_dataset(name, **SMALL[name])
    assert d.x_train.shape[0] > 0 and d.x_test.shape[0] > 0
    assert tuple(d.x_train.shape[1:]) == d.spec.input_shape
    if d.spec.task == "classification":
        assert d.y_train.dtype == torch.int64 and int(d.y_train.max()) < d.spec.n_outputs
    if d.spec.task == "regression":
        assert d.y_train.shape[1] == d.spec.n_outputs and d.y_train.dtype == torch.float32
    if d.spec.tokens:
        assert d.x_train.dtype == torch.int64 and int(d.x_train.max()) < d.spec.vocab_size
    card = d.card()
    assert card["train_size"] == d.x_train.shape[0] and card["task"] == d.spec.task


@pytest.mark.parametrize("name", sorted(SMALL))
def test_datasets_are_deterministic(name):
    from neuralab.data.dataset import _build

    _build.cache_clear()
    a = load_dataset(name, **SMALL[name])
    _build.cache_clear()
    b = load_dataset(name, **SMALL[name])
    assert a is not b
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)


def test_mnist1d_is_the_package_generator_output():
    from mnist1d.data import get_dataset_args, make_dataset

    d = load_dataset("mnist1d")
    ref = make_dataset(get_dataset_args())
    assert d.x_train.shape == (4000, 40) and d.x_test.shape == (1000, 40)
    np.testing.assert_allclose(d.x_train.numpy(), ref["x"].astype(np.float32))
    np.testing.assert_array_equal(d.y_test.numpy(), ref["y_test"])


def test_mnist1d_shuffled_permutes_positions_only():
    plain = load_dataset("mnist1d", num_samples=500)
    shuffled = load_dataset("mnist1d", num_samples=500, shuffle_seq=True)
    assert torch.equal(plain.y_train, shuffled.y_train)
    # one fixed permutation of the 40 positions: each column of `shuffled` is a column of `plain`
    cols = [next(j for j in range(40) if torch.allclose(shuffled.x_train[:, i], plain.x_train[:, j]))
            for i in range(40)]
    assert sorted(cols) == list(range(40)) and cols != list(range(40))


def test_dataset_seed_changes_data_and_bad_params_fail():
    a = load_dataset("xor_clusters", seed=1, n_train=50, n_test=10)
    b = load_dataset("xor_clusters", seed=2, n_train=50, n_test=10)
    assert not torch.equal(a.x_train, b.x_train)
    with pytest.raises(ConfigError, match="n_trian: unknown parameter"):
        load_dataset("xor_clusters", n_trian=5)
    with pytest.raises(ConfigError, match="k must be in"):
        load_dataset("sparse_parity", k=50)


def test_task_labels_are_right():
    d = load_dataset("modular_arithmetic", p=11, op="*")
    a, b = d.x_train[:, 0], d.x_train[:, 2]
    assert torch.equal(d.y_train, (a * b) % 11)
    assert d.x_train.shape[0] + d.x_test.shape[0] == 121
    noisy = load_dataset("modular_arithmetic", p=11, label_noise=0.5)
    clean = load_dataset("modular_arithmetic", p=11)
    frac_changed = (noisy.y_train != clean.y_train).float().mean()
    assert 0.3 < frac_changed <= 0.5

    x = load_dataset("xor_clusters", noise=0.0, n_train=100, n_test=10)
    assert torch.equal(x.y_train, (x.x_train[:, 0] * x.x_train[:, 1] < 0).long())

    r = load_dataset("associative_recall", n_train=200, n_test=10)
    for row, target in zip(r.x_train[:50], r.y_train[:50]):
        keys, values, query = row[0:-1:2], row[1:-1:2], row[-1]
        assert int(values[(keys == query).nonzero()[0, 0]]) - 16 == int(target)

    c = load_dataset("copy", length=5, n_train=20, n_test=5)
    assert torch.equal(c.y_train[:, 5:10], c.x_train[:, :5])
    assert (c.y_train[:, :5] == IGNORE_INDEX).all() and (c.y_train[:, 10] == IGNORE_INDEX).all()

    p = load_dataset("periodic", n_train=200, n_test=100)
    assert p.x_train.abs().max() <= 2 * np.pi and p.x_test.abs().min() >= 2 * np.pi
    torch.testing.assert_close(p.y_test, torch.sin(p.x_test))

    s = load_dataset("sparse_parity", n_bits=8, k=8, n_train=64, n_test=8)
    assert torch.equal(s.y_train, (s.x_train.prod(1) < 0).long())


def test_char_corpus_is_python_source_and_shifted():
    d = load_dataset("stdlib_chars", max_chars=20000, seq_len=32)
    assert torch.equal(d.x_train[0, 1:], d.y_train[0, :-1])
    text = decode(d.x_train[:20].reshape(-1))
    assert "def " in text or "import " in text
    assert decode(encode("def f(x):\n    return x")) == "def f(x):\n    return x"
    assert len(VOCAB) == d.spec.vocab_size == 96


def test_batcher_covers_each_example_once_per_epoch_and_resumes():
    b = TensorBatcher(10, 3, seed=7)
    assert b.batches_per_epoch == 3
    epoch0 = torch.cat([b.next() for _ in range(3)])
    assert len(set(epoch0.tolist())) == 9  # the incomplete last batch is dropped
    state = b.state_dict()
    rest = [b.next() for _ in range(5)]
    c = TensorBatcher(10, 3, seed=7)
    c.load_state_dict(state)
    assert all(torch.equal(x, y) for x, y in zip(rest, [c.next() for _ in range(5)]))
    d = TensorBatcher(10, 3, seed=8)
    assert not torch.equal(epoch0, torch.cat([d.next() for _ in range(3)]))
    assert TensorBatcher(5, 100, seed=0).next().shape == (5,)
