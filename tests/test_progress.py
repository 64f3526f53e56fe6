"""Progress on stderr: periodic plain lines off a terminal, a bar with a short postfix on one."""

from __future__ import annotations

import io

import pytest
from tqdm import tqdm

from neuralab import progress
from neuralab.config import build_config
from neuralab.engine.population import member_postfix, train_population
from neuralab.engine.trainer import bar_postfix, train
from neuralab.errors import NeuralabError
from neuralab.progress import ProgressBar, resolve_mode

METRICS = {"batch_loss": 0.3123, "lr_factor": 1.0, "train_loss": 0.29, "train_accuracy": 0.91,
           "test_loss": 0.41, "test_accuracy": 0.8765}


def tiny(**train):
    return build_config({"model": {"name": "mlp", "width": 16},
                         "train": {"steps": 30, "eval_every": 10, "eval_train_examples": 64, **train}})


def test_auto_is_lines_off_a_terminal_and_bad_modes_are_refused():
    assert resolve_mode("auto", io.StringIO()) == "lines"
    with pytest.raises(NeuralabError, match="progress must be one of auto, bar, lines, none"):
        resolve_mode("loud")


def test_lines_are_periodic_and_end_with_a_last_line():
    out = io.StringIO()
    with ProgressBar(5, desc="job", mode="lines", every=0, stream=out, unit="page") as bar:
        for _ in range(5):
            bar.show(loss=0.5)
            bar.update(1)
    lines = out.getvalue().splitlines()
    assert len(lines) == 6  # one an update, and the last line at close
    assert lines[0].startswith("[job] 1/5 pages (20%)") and "left" in lines[0]
    assert lines[0].endswith("loss 0.5")
    assert lines[-1].startswith("[job] 5/5 pages (100%)")


def test_no_lines_within_the_interval_and_none_is_silent():
    out = io.StringIO()
    with ProgressBar(100, desc="job", mode="lines", every=3600, stream=out) as bar:
        bar.update(100)
    with ProgressBar(100, desc="job", mode="none", every=0, stream=out) as bar:
        bar.update(100)
        bar.write("hidden")
    assert out.getvalue() == ""


def test_bar_postfix_keeps_the_headline_metric_at_120_columns():
    shown = bar_postfix(METRICS)
    assert list(shown) == ["loss", "test_accuracy"]
    bar = ProgressBar(2000, desc="20261123-120501-cnn-3f2a1b", mode="bar", stream=io.StringIO())
    bar.update(1000)
    bar.show(**shown)
    meter = tqdm.format_meter(**{**bar.bar.format_dict, "ncols": 120, "elapsed": 10.0,
                                 "rate": None, "ascii": True})
    bar.close()
    assert "loss=0.3123" in meter and "test_accuracy=0.8765" in meter
    assert len(meter) <= 120 and len(meter.split("|")[1]) >= 10, meter  # the bar keeps its width
    assert bar_postfix({"batch_loss": 1.0, "test_loss": 2.0}) == {"loss": 1.0, "test_loss": 2.0}


def test_trainer_off_a_terminal_prints_periodic_and_evaluation_lines(monkeypatch, capsys):
    monkeypatch.setattr(progress, "LINE_EVERY", 0.0)
    train(tiny(), progress="auto")  # captured stderr is no terminal
    err = capsys.readouterr().err.splitlines()
    periodic = [l for l in err if l.startswith("[train] ")]
    evals = [l for l in err if l.startswith("[run] step ")]
    assert len(periodic) >= 30 and "test_accuracy" in periodic[-1]
    assert len(evals) == 3 and all("train_accuracy" in l and "test_loss" in l for l in evals)


def test_trainer_under_a_bar_writes_every_metric_on_evaluation_lines(capsys):
    train(tiny(), progress="bar")
    err = capsys.readouterr().err
    assert err.count("[run] step ") == 3 and "train_loss" in err and "lr_factor" not in err


def test_train_population_shows_progress_by_default(monkeypatch, capsys):
    monkeypatch.setattr(progress, "LINE_EVERY", 0.0)
    train_population([tiny(), tiny()])
    err = capsys.readouterr().err.splitlines()
    assert len(err) >= 30 and err[0].startswith("[population of 2] 1/30 steps")
    assert "active 2" in err[-1] and "test_accuracy" in err[-1]
    train_population([tiny()], progress="none")
    assert capsys.readouterr().err == ""


def test_member_postfix_means_over_members():
    shown = member_postfix([{"batch_loss": 1.0, "test_accuracy": 0.5},
                            {"batch_loss": 3.0, "test_accuracy": 0.7}], 2)
    assert shown == pytest.approx({"active": 2, "loss": 2.0, "test_accuracy": 0.6})


def test_report_building_off_a_terminal_prints_progress_lines(monkeypatch, capsys, tmp_path):
    from neuralab.report.site import build_report
    from neuralab.store import RunStore

    store = RunStore(tmp_path / "runs")
    train(tiny(steps=5), store=store, progress="none")
    monkeypatch.setattr(progress, "LINE_EVERY", 0.0)
    build_report(store, tmp_path / "site")
    err = capsys.readouterr().err.splitlines()
    assert len(err) > 10 and err[0].startswith("[report] 1/") and " pages (" in err[0]
    assert err[-1].split()[1].split("/")[0] == err[-1].split()[1].split("/")[1]  # n == total
    build_report(store, tmp_path / "site", progress="none")
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("method", ["fake_per_channel", "qat_int8", "distilled"])
def test_quantizer_fine_tuning_shows_progress_when_asked(monkeypatch, capsys, method):
    from neuralab.data.dataset import load_dataset
    from neuralab.registry import REGISTRY

    result = train(tiny(steps=5), progress="none")
    data = load_dataset("mnist1d")
    quantizer = REGISTRY.create("quantizer", method)
    monkeypatch.setattr(progress, "LINE_EVERY", 0.0)
    quantizer.quantize(result.model, data, steps=4, lr=1e-4, progress="lines")
    err = capsys.readouterr().err.splitlines()
    assert err and err[-1].split()[1] == "4/4", err  # every fine-tuning step counted
    quantizer.quantize(result.model, data, steps=4, lr=1e-4)  # quiet by default in the API
    assert capsys.readouterr().err == ""
