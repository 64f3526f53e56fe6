import json
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from neuralab.config import build_config
from neuralab.engine.checkpoint import latest_checkpoint, load_state, load_weights, save_checkpoint
from neuralab.engine.metrics import RECORD_KEYS, read_records
from neuralab.engine import trainer as trainer_module
from neuralab.engine.trainer import DIVERGENCE_CHECK_EVERY, Trainer, resume, train
from neuralab.errors import CheckpointError, NeuralabError
from neuralab.models import build_model
from neuralab.store import RunStore

from conftest import DEVICES, DeviceClean, cli_env

XOR = ["data.name=xor_clusters", "model.width=16", "train.steps=150", "train.eval_every=50",
       "optim.lr=0.01", "train.batch_size=32"]


def test_training_learns_xor_and_writes_tidy_records(runs_dir):
    store = RunStore(runs_dir)
    result = train(build_config(overrides=XOR), store=store, progress="none")
    assert result.status == "completed" and result.step == 150
    assert result.metrics["test_accuracy"] > 0.95
    rows = list(read_records(store.get(result.run_id).records_path))
    assert rows and all(set(r) == set(RECORD_KEYS) for r in rows)
    assert sorted({r["step"] for r in rows}) == [50, 100, 150]
    losses = [r["value"] for r in rows if r["metric"] == "test_loss"]
    assert losses[-1] < losses[0]
    info = store.get(result.run_id)
    assert info.status == "completed" and info.summary["test_accuracy"] == result.metrics["test_accuracy"]


@pytest.mark.parametrize("device", DEVICES)
def test_same_seed_same_weights_and_other_seed_differs(device):
    cfg = build_config(overrides=XOR + ["model.dropout=0.1", f"train.device={device}"])
    a = train(cfg, progress="none").model.state_dict()
    b = train(cfg, progress="none").model.state_dict()
    c = train(cfg.model_copy(update={"seed": 1}), progress="none").model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)


@pytest.mark.parametrize("device", DEVICES)
def test_training_leaves_the_global_rng_alone(device):
    torch.manual_seed(123)
    expected = torch.rand(3, device=device)
    torch.manual_seed(123)
    train(build_config(overrides=XOR + ["train.steps=5", "model.dropout=0.1", f"train.device={device}"]),
          progress="none")
    torch.testing.assert_close(torch.rand(3, device=device), expected)


DIVERGING = ["data.name=teacher_student", "model.depth=6", "optim.name=sgd", "optim.lr=1e6",
             "train.steps=200", "model.init=he"]


@pytest.mark.parametrize("device", DEVICES)
def test_non_finite_loss_marks_the_run_diverged(runs_dir, device):
    store = RunStore(runs_dir)
    cfg = build_config(overrides=DIVERGING + [f"train.device={device}"])
    result = train(cfg, store=store, progress="none")
    assert result.status == "diverged" and result.diverged_at is not None
    assert result.diverged_at < 200
    info = store.get(result.run_id)
    assert info.status == "diverged" and info.summary["diverged_at"] == result.diverged_at


@pytest.mark.parametrize("overrides", [DIVERGING, XOR + ["model.dropout=0.2", "optim.name=adamw"]],
                         ids=["diverging", "finite-with-dropout"])
def test_a_loss_checked_every_n_steps_gives_the_run_checked_every_step(overrides):
    # checked every 7 steps, a run goes back to the last check and replays up to the non-finite
    # loss: it stops at the same step with the same weights and records as one checked every step
    cfg = build_config(overrides=overrides + ["train.eval_every=25"])
    every_step = Trainer(cfg, progress="none")
    assert every_step.check_every == 1  # on a CPU
    late = Trainer(cfg, progress="none")
    late.check_every = 7
    a, b = every_step.fit(), late.fit()
    assert (b.status, b.step, b.diverged_at) == (a.status, a.step, a.diverged_at)
    if a.status == "diverged":
        assert a.diverged_at % 7 != 0  # noticed late, then replayed
    want, got = a.model.state_dict(), b.model.state_dict()
    assert all(torch.equal(got[k], want[k]) for k in want)
    rows = lambda result: [(r["step"], r["metric"], r["value"]) for r in result.records]  # noqa: E731
    assert rows(b) == rows(a)


def test_a_window_of_steps_rewound_and_replayed_gives_the_same_steps():
    # what a divergence check does when it finds a non-finite loss: back to the window's snapshot
    # (weights, AdamW state, dropout RNG, data position, loss sum) and the same steps again
    cfg = build_config(overrides=XOR + ["model.dropout=0.2", "optim.name=adamw"])
    straight, rewound = Trainer(cfg, progress="none"), Trainer(cfg, progress="none")
    with torch.random.fork_rng(devices=[]):  # dropout draws from the global RNG, as in fit()
        torch.manual_seed(0)
        for _ in range(30):
            straight._train_step(1.0, check=True)
        rng_after_30 = torch.get_rng_state()
        torch.manual_seed(0)
        for _ in range(30):
            rewound._train_step(1.0, check=True)
        snapshot = rewound._take_snapshot()
        for _ in range(10):
            rewound._train_step(1.0, check=True)
        rewound._restore_snapshot(snapshot)
        assert rewound.step == 30
        for _ in range(10):
            rewound._train_step(1.0, check=True)
        torch.set_rng_state(rng_after_30)
        for _ in range(10):
            straight._train_step(1.0, check=True)
    assert float(rewound._loss_total) == float(straight._loss_total)
    a, b = straight.model.state_dict(), rewound.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("optim", ["adamw", "sgd"])
def test_a_training_step_keeps_to_the_model_device_and_reads_nothing_back(monkeypatch, optim):
    # the meta device has shapes and no values: a host tensor meeting the model's, a blocking copy
    # to the device or a read-back (what would make a GPU step wait) fails; see test_population.py
    monkeypatch.setattr(trainer_module, "resolve_device", lambda name: torch.device("meta"))
    cfg = build_config(overrides=XOR + ["model.dropout=0.1", f"optim.name={optim}",
                                        "train.grad_clip=1.0"])
    trainer = Trainer(cfg, progress="none")
    assert trainer.check_every == DIVERGENCE_CHECK_EVERY
    with DeviceClean():
        trainer._snapshot = trainer._take_snapshot()  # as the loop does at the start of a window
        for _ in range(3):
            trainer._train_step(1.0, check=False)
    assert trainer.step == 3
    with pytest.raises(RuntimeError, match="meta"):
        trainer._check_divergence()


def test_grad_clip_bounds_the_update():
    cfg = build_config(overrides=XOR + ["train.grad_clip=1e-3", "optim.name=sgd", "optim.lr=1.0",
                                        "train.steps=1", "train.eval_every=0"])
    trainer = Trainer(cfg, progress="none")
    before = torch.cat([p.detach().flatten().clone() for p in trainer.model.parameters()])
    trainer.fit()
    after = torch.cat([p.detach().flatten() for p in trainer.model.parameters()])
    assert (after - before).norm() <= 1e-3 + 1e-7


def test_checkpoint_round_trip_and_corruption(tmp_path):
    cfg = build_config(overrides=XOR)
    trainer = Trainer(cfg, progress="none")
    trainer.fit()
    ckpt = save_checkpoint(tmp_path, 150, trainer.model, trainer.state_dict())
    assert latest_checkpoint(tmp_path) == ckpt
    fresh = build_model(cfg.model.name, trainer.data.spec, cfg.model.params, seed=99)
    load_weights(fresh, ckpt)
    x = trainer.data.x_test
    torch.testing.assert_close(fresh(x), trainer.model(x))
    assert load_state(ckpt)["step"] == 150

    (ckpt / "model.safetensors").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_weights(fresh, ckpt)
    (ckpt / "state.pt").write_bytes(b"\x80\x04garbage")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_state(ckpt)
    wrong = build_model("mlp", trainer.data.spec, {"width": 7})
    save_checkpoint(tmp_path, 151, trainer.model, trainer.state_dict())
    with pytest.raises(CheckpointError, match="does not fit"):
        load_weights(wrong, latest_checkpoint(tmp_path))


def test_checkpoint_state_refuses_pickled_objects(tmp_path):
    ckpt = tmp_path / "step-00000001"
    ckpt.mkdir()
    torch.save({"step": 1, "evil": object()}, ckpt / "state.pt")  # an arbitrary object
    with pytest.raises(CheckpointError):
        load_state(ckpt)


@pytest.mark.parametrize("device", DEVICES)
def test_resume_in_process_equals_uninterrupted(runs_dir, device):
    store = RunStore(runs_dir)
    overrides = XOR + ["train.checkpoint_every=40", "model.dropout=0.2", "optim.name=adamw",
                       "schedule.name=cosine", "schedule.warmup=10", f"train.device={device}"]
    full = train(build_config(overrides=overrides), store=store, progress="none")
    # a run stopped after its step-80 checkpoint (at the step-100 evaluation), then resumed
    def stop_at_100(trainer, step):
        if step == 100:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(build_config(overrides=overrides), store=store, progress="none",
              callbacks=[stop_at_100])
    run = next(r for r in store.list() if r.id != full.run_id)
    assert run.status == "interrupted"
    assert latest_checkpoint(run.checkpoints).name == "step-00000080"
    resumed = resume(store, run.id, progress="none")
    a, b = full.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    rows_full = [(r["step"], r["metric"], r["value"]) for r in full.records]
    rows_resumed = [(r["step"], r["metric"], r["value"]) for r in read_records(run.records_path)]
    assert rows_full == rows_resumed


def test_resume_refuses_completed_runs(runs_dir):
    store = RunStore(runs_dir)
    result = train(build_config(overrides=XOR + ["train.steps=5"]), store=store, progress="none")
    with pytest.raises(NeuralabError, match="already completed"):
        resume(store, result.run_id)


def _cli(*args, runs_dir):
    return [sys.executable, "-m", "neuralab", *args, "--runs-dir", str(runs_dir)]


def test_resume_after_sigkill_ends_with_the_uninterrupted_weights(tmp_path):
    args = ["train", "--model", "cnn", "--steps", "1500", "--checkpoint-every", "100",
            "--set", "model.dropout=0.1", "--set", "model.channels=8", "--set", "train.eval_every=100", "--progress", "none"]
    killed_dir, clean_dir = tmp_path / "killed", tmp_path / "clean"
    proc = subprocess.Popen(_cli(*args, runs_dir=killed_dir), env=cli_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    pointer = None
    while time.time() < deadline and proc.poll() is None:
        found = list((killed_dir / "runs").glob("*/checkpoints/latest.json"))
        if found:
            pointer = found[0]
            break
        time.sleep(0.01)
    assert pointer is not None, "no checkpoint appeared before the run ended"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = json.loads(pointer.read_text())["step"]
    assert killed_at < 1500
    run_id = pointer.parent.parent.name
    assert RunStore(killed_dir).get(run_id).status == "interrupted"

    resumed = subprocess.run(_cli("train", "--resume", run_id, "--progress", "none",
                                  runs_dir=killed_dir), env=cli_env(), capture_output=True,
                             text=True, timeout=900)
    assert resumed.returncode == 0, resumed.stderr
    clean = subprocess.run(_cli(*args, runs_dir=clean_dir), env=cli_env(), capture_output=True,
                           text=True, timeout=900)
    assert clean.returncode == 0, clean.stderr

    def final_weights(root):
        ckpt = latest_checkpoint(next((root / "runs").iterdir()) / "checkpoints")
        assert ckpt.name == "step-00001500"
        return load_file(str(ckpt / "model.safetensors"))

    a, b = final_weights(killed_dir), final_weights(clean_dir)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert RunStore(killed_dir).get(run_id).status == "completed"


def test_correct_mask_agrees_with_evaluate_accuracy():
    import torch
    from torch import nn

    from neuralab.data import load_dataset
    from neuralab.engine.metrics import correct_mask, evaluate

    data = load_dataset("digits")
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(data.x_test[0].numel(), data.spec.n_outputs))
    mask = correct_mask(model, data.spec, data.x_test, data.y_test, batch_size=50)
    assert mask.shape == (data.x_test.shape[0],) and mask.dtype == torch.bool
    accuracy = evaluate(model, data.spec, data.x_test, data.y_test)["accuracy"]
    assert float(mask.float().mean()) == pytest.approx(accuracy)
