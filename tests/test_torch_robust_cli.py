"""`diffproof train` / `sample` on bad input: every bad option exits 2 with a message before any
allocation or sampling; a diverging run exits 1 and keeps its last good checkpoint; no NaN is ever
printed; --resume does not duplicate loss rows; --png is written exactly where it says."""
from __future__ import annotations

import os

import pytest
import torch

import diffproof.numeric.torchdiff.sample as sample_module
from diffproof.numeric.torchdiff.config import TrainConfig
from diffproof.numeric.torchdiff.train import Diverged, load_checkpoint, train
from diffproof.proofs.cli import main
from tests.test_torch_cli import TINY

pytestmark = pytest.mark.usefixtures("one_torch_thread")    # tests/conftest.py

SAMPLE = ["-n", "100", "--steps", "2", "--threads", "1"]


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> str:
    path = str(tmp_path_factory.mktemp("ckpt") / "m.pt")
    assert main(["train", "--out", path] + TINY) == 0
    return path


@pytest.fixture
def no_work(monkeypatch):
    """Fail loudly if a command gets as far as allocating a model or sampling."""
    def refuse(*args, **kwargs):
        raise AssertionError("validation should have stopped the command first")
    monkeypatch.setattr(TrainConfig, "model", refuse)
    monkeypatch.setattr(sample_module, "compare", refuse)


@pytest.mark.parametrize("argv,message", [
    (["--out", "{tmp}/x/"], "is a directory"),
    (["--out", "{tmp}"], "is a directory"),
    (["--out", "/proc/m.pt"], "cannot write /proc/m.pt"),
    (["--threads", "100000"], "--threads must be in [1, "),
    (["--hidden", "100000000"], "hidden must be in [1, 16384]"),
    (["--hidden", "8000", "--depth", "40"], "the limit is 2 GiB"),
    (["--batch", "1000000000"], "batch must be in [2, 1048576]"),
    (["--batch", "1000000", "--hidden", "512"], "the limit is 2 GiB"),
    (["--seed", "100000000000000000000000"], "--seed must be in [0, 9223372036854775807]"),
    (["--seed", "-1"], "--seed must be in [0, "),
    (["--steps", "-5"], "steps must be in [1, "),
    (["--lr", "0"], "lr must be a positive finite number"),
    (["--lr=-inf"], "lr must be a positive finite number"),
    (["--sigma-min", "-1"], "sigma_min must be a positive finite number"),
    (["--sigma-max", "inf"], "sigma_max must be a positive finite number"),
    (["--sigma-max", "nan"], "sigma_max must be a positive finite number"),
])
def test_train_rejects_bad_options_up_front(argv, message, tmp_path, capsys, no_work):
    argv = [a.format(tmp=tmp_path) for a in argv]
    if "--out" not in argv:
        argv += ["--out", str(tmp_path / "m.pt")]
    assert main(["train"] + TINY + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("diffproof: error: ") and message in err and "Traceback" not in err
    assert not os.path.exists(tmp_path / "m.pt")


@pytest.mark.parametrize("argv,message", [
    (["--png", "{tmp}/out.txt"], "--png must name a .png file"),
    (["--png", "{tmp}/fig"], "--png must name a .png file"),
    (["--png", "{tmp}/sub/dir.png"], "is a directory"),
    (["--png", "{tmp}/sub/dir.png/"], "--png must name a .png file"),
    (["--png", "/proc/fig.png"], "cannot write /proc/fig.png"),
    (["-n", "1000000000000"], "--n-samples must be in [2, 1000000]"),
    (["-n", "1"], "--n-samples must be in [2, "),
    (["--steps", "0"], "--steps must be in [1, 100000]"),
    (["--seed", "100000000000000000000000"], "--seed must be in [0, "),
    (["--threads", "100000"], "--threads must be in [1, "),
])
def test_sample_rejects_bad_options_before_sampling(argv, message, tmp_path, capsys, no_work,
                                                     checkpoint):
    (tmp_path / "sub" / "dir.png").mkdir(parents=True)
    argv = [a.format(tmp=tmp_path) for a in argv]
    assert main(["sample", "--checkpoint", checkpoint] + SAMPLE + argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("diffproof: error: ") and message in err
    assert os.listdir(tmp_path) == ["sub"] and os.listdir(tmp_path / "sub") == ["dir.png"]


def test_sample_writes_and_reports_exactly_the_png_path(tmp_path, capsys, checkpoint):
    png = tmp_path / "figure.PNG"
    assert main(["sample", "--checkpoint", checkpoint, "--png", str(png), "--json"] + SAMPLE) == 0
    assert f'"png": "{png}"' in capsys.readouterr().out
    assert os.listdir(tmp_path) == ["figure.PNG"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _altered_checkpoint(checkpoint: str, path, change) -> str:
    state = load_checkpoint(checkpoint)
    change(state)
    torch.save(state, str(path))
    return str(path)


def test_sample_refuses_inconsistent_and_non_finite_checkpoints(tmp_path, capsys, checkpoint):
    def wrong_config(state):
        state["config"]["hidden"] = 32

    def nan_weights(state):
        state["model"]["out.weight"][0, 0] = float("nan")

    def huge_config(state):
        state["config"]["hidden"] = 100_000_000
    cases = [(wrong_config, "weights do not match its config (hidden 32, depth 2)"),
             (nan_weights, "non-finite weights (out.weight)"),
             (huge_config, "config is invalid: hidden must be in [1, 16384]")]
    for change, message in cases:
        path = _altered_checkpoint(checkpoint, tmp_path / f"{change.__name__}.pt", change)
        assert main(["sample", "--checkpoint", path] + SAMPLE) == 2, change.__name__
        captured = capsys.readouterr()
        assert message in captured.err and "nan" not in captured.out.lower()
    assert main(["train", "--out", str(tmp_path / "wrong_config.pt"), "--resume", "--steps", "40",
                 "--hidden", "32", "--depth", "2", "--batch", "64", "--quiet", "--threads", "1"]) == 2
    assert "weights do not match its config" in capsys.readouterr().err


def test_sample_of_overflowing_weights_exits_1_without_printing_nan(tmp_path, capsys, checkpoint):
    def overflow(state):
        state["model"]["out.weight"].fill_(3e38)
        state["model"]["out.bias"].fill_(3e38)
    path = _altered_checkpoint(checkpoint, tmp_path / "big.pt", overflow)
    assert main(["sample", "--checkpoint", path, "--png", str(tmp_path / "f.png")] + SAMPLE) == 1
    captured = capsys.readouterr()
    assert "are not finite" in captured.err and "nan" not in captured.out.lower()
    assert not (tmp_path / "f.png").exists()


@pytest.mark.parametrize("argv", [["--lr", "1e6"], ["--sigma-min", "1e-20", "--sigma-max", "1e20"]])
def test_a_diverging_run_exits_1_and_writes_no_nan_checkpoint(argv, tmp_path, capsys):
    out = tmp_path / "m.pt"
    assert main(["train", "--out", str(out)] + TINY + argv) == 1
    err = capsys.readouterr().err
    assert "training diverged at step" in err and "no checkpoint was written" in err
    assert "--lr" in err and "--sigma-min" in err
    assert not out.exists()


def test_divergence_keeps_the_last_good_checkpoint_and_log(tmp_path):
    """Weights corrupted after step 15: the checkpoint and CSV of step 10 stay untouched."""
    config = TrainConfig(steps=30, batch=32, hidden=16, depth=2, log_every=5, checkpoint_every=10)
    path, log = str(tmp_path / "m.pt"), str(tmp_path / "m.loss.csv")

    def poison(step, loss):
        if step == 15:
            with torch.no_grad():
                model_weight[0].fill_(float("inf"))
    model_weight = []
    real_model = TrainConfig.model

    def capture(self):
        model = real_model(self)
        model_weight.append(model.out.weight)
        return model
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TrainConfig, "model", capture)
        with pytest.raises(Diverged, match="diverged at step 16.*checkpoint \\(step 10\\) is kept"):
            train(config, path, log_path=log, progress=poison)
    state = load_checkpoint(path)
    assert state["step"] == 10
    assert all(bool(torch.isfinite(v).all()) for v in state["model"].values())
    with open(log) as handle:
        assert [row.split(",")[0] for row in handle.read().splitlines()] == ["step", "5", "10"]


def test_resume_with_a_diverging_lr_keeps_the_checkpoint_bytes(tmp_path, capsys):
    out = tmp_path / "m.pt"
    assert main(["train", "--out", str(out)] + TINY) == 0
    before = out.read_bytes()
    assert main(["train", "--out", str(out), "--resume", "--lr", "1e6"] + TINY[2:]
                + ["--steps", "60"]) == 1
    assert "the last good checkpoint (step 30) is kept" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_resume_truncates_the_loss_log_to_the_checkpoint(tmp_path):
    """Rows logged after the last checkpoint (an interrupted run) are not repeated on resume."""
    config = TrainConfig(steps=20, batch=32, hidden=16, depth=2, log_every=5, checkpoint_every=10)
    path, log = str(tmp_path / "m.pt"), tmp_path / "m.loss.csv"
    train(config, path, log_path=str(log))
    # an interrupted longer run: the checkpoint says step 20, the log ran on to step 25
    log.write_text(log.read_text() + "25,0.5\n")
    longer = TrainConfig(steps=30, batch=32, hidden=16, depth=2, log_every=5, checkpoint_every=10)
    state = train(longer, path, resume=True, log_path=str(log))
    steps = [int(row.split(",")[0]) for row in log.read_text().splitlines()[1:]]
    assert steps == [5, 10, 15, 20, 25, 30] == [row[0] for row in state["losses"]]
    assert not [name for name in os.listdir(tmp_path) if ".tmp-" in name]
