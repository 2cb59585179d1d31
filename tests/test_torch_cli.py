"""`diffproof train` / `diffproof sample` end to end (tiny settings), bad flags, exact resume."""
from __future__ import annotations

import os

import pytest
import torch

from diffproof.numeric.torchdiff.train import TrainConfig, load_checkpoint, train
from diffproof.proofs.cli import main

TINY = ["--steps", "30", "--hidden", "16", "--depth", "2", "--batch", "64", "--quiet", "--threads", "1"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")    # tests/conftest.py


def test_train_then_sample_writes_checkpoint_log_png(tmp_path, capsys):
    out = str(tmp_path / "run" / "model.pt")
    assert main(["train", "--out", out] + TINY) == 0
    assert os.path.isfile(out) and not [f for f in os.listdir(tmp_path / "run") if ".tmp-" in f]
    log = (tmp_path / "run" / "model.loss.csv").read_text().splitlines()
    assert log[0] == "step,loss" and len(log) == 2  # log_every 100 > 30 steps: one final row
    assert main(["train", "--out", out, "--resume", "--steps", "40"] + TINY[2:]) == 0
    assert load_checkpoint(out)["step"] == 40
    assert len((tmp_path / "run" / "model.loss.csv").read_text().splitlines()) == 3
    capsys.readouterr()
    png = str(tmp_path / "fig.png")
    assert main(["sample", "--checkpoint", out, "-n", "300", "--steps", "10", "--png", png,
                 "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "exact score" in text and "mode weights" in text
    with open(png, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv,message", [
    (["train", "--steps", "0"], "steps must be in [1, 100000000], got 0"),
    (["train", "--lr", "nan"], "lr must be a positive finite number"),
    (["train", "--sigma-min", "5"], "sigma_min < sigma_max"),
    (["train", "--threads", "0"], "--threads must be in [1, "),
    (["sample", "--checkpoint", "/nonexistent/model.pt"], "no checkpoint"),
])
def test_bad_flags_exit_2(argv, message, capsys, tmp_path):
    if argv[0] == "train":
        argv = argv + ["--out", str(tmp_path / "m.pt")]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_bad_checkpoints_and_resume_exit_2(tmp_path, capsys):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    assert main(["sample", "--checkpoint", str(junk)]) == 2
    assert "not a diffproof checkpoint" in capsys.readouterr().err
    out = str(tmp_path / "m.pt")
    assert main(["train", "--out", out, "--resume"] + TINY) == 2
    assert "no checkpoint" in capsys.readouterr().err
    assert main(["train", "--out", out] + TINY) == 0
    assert main(["train", "--out", out] + TINY) == 2  # would overwrite
    assert main(["train", "--out", out, "--resume", "--steps", "50", "--hidden", "8", "--depth", "2",
                 "--batch", "64"]) == 2
    assert "cannot resume with different hidden (checkpoint has hidden=16)" in capsys.readouterr().err
    try:  # argparse's own usage error: exit status 2 (returned, or raised as SystemExit)
        code = main(["sample", "--sampler", "rk4"])
    except SystemExit as stop:
        code = stop.code
    assert code == 2 and "invalid choice: 'rk4'" in capsys.readouterr().err


def test_resume_after_interruption_is_exact(tmp_path):
    """Stop a run at step 15 (last checkpoint: step 10), resume: same weights as one clean run."""
    config = TrainConfig(steps=20, batch=32, hidden=16, depth=2, log_every=5, checkpoint_every=10)
    clean = train(config, str(tmp_path / "clean.pt"))

    def stop(step, loss):
        if step == 15:
            raise KeyboardInterrupt
    path = str(tmp_path / "cut.pt")
    with pytest.raises(KeyboardInterrupt):
        train(config, path, progress=stop)
    assert load_checkpoint(path)["step"] == 10
    resumed = train(config, path, resume=True)
    for key, value in clean["model"].items():
        assert torch.equal(value, resumed["model"][key]), key
    assert resumed["losses"] == clean["losses"]
