"""diffusers 0.42.1's DDPMScheduler and DDIMScheduler against the derived formulas (issue 17):
what holds, the real discrepancies (each confirmed independently here), and planted bugs, each
caught with a readable report.  Skipped when diffusers is not installed."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("diffusers")
import mpmath  # noqa: E402

from diffproof.numeric.conform import run  # noqa: E402
from diffproof.numeric.conform.adapters import get  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_ddim import DDIMAdapter  # noqa: E402
from diffproof.numeric.conform.adapters.diffusers_ddpm import DDPMAdapter  # noqa: E402
from diffproof.proofs.cli import main  # noqa: E402
from tests.conform_planted import (DDIMFloatStride, DDIMGridPrevious, DDIMVSignFlipped,  # noqa: E402
                                   DDPMFloat32Beta, DDPMLinspaceOffByOne, DDPMOneStepBeta)

BASE = dict(beta_schedule="linear", num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02,
            prediction_type="epsilon", clip_sample=False, rescale_betas_zero_snr=False,
            steps_offset=0, index=0, shape=(1, 2), seed=0)
DDIM = {**BASE, "set_alpha_to_one": True, "eta": 0.0}
DDPM = {**BASE, "variance_type": "fixed_small"}
EXAMPLES = 12


def _holds(adapter, props, family, examples=EXAMPLES):
    rows = [run.search(adapter, p, family, 0, examples) for p in props]
    assert all(r.status == "holds" for r in rows), "\n\n".join(r.report() for r in rows)


# -- what holds ------------------------------------------------------------------------------
@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim_on_the_leading_grid_computes_eqs_12_and_16(eta):
    _holds(get("DDIMScheduler"), ["step", "invariance", "float32"],
           {"timestep_spacing": "leading", "eta": eta})


@pytest.mark.parametrize("variance", ["fixed_small", "fixed_large"])
def test_ddpm_computes_the_posterior_of_ho_eq_7_on_a_linspace_grid(variance):
    _holds(get("DDPMScheduler"), ["step", "invariance", "float32"],
           {"variance_type": variance, "timestep_spacing": "linspace"})


def test_a_ddim_whose_previous_timestep_is_the_grid_s_holds_on_every_spacing():
    """No false alarm: diffusers' step with the previous timestep read from its own grid (as
    DDPMScheduler does) holds where the real class fails."""
    adapter = DDIMAdapter(DDIMGridPrevious)
    for spacing in ("trailing", "linspace"):
        _holds(adapter, ["step", "float32"], {"timestep_spacing": spacing, "eta": 1.0})
    for n in (3, 7, 10, 50):
        assert run.replay(adapter, "grid", {**DDIM, "timestep_spacing": "trailing",
                                            "num_inference_steps": n}) is None


def test_the_stored_betas_are_the_derived_linear_and_cosine_schedules():
    _holds(get("DDPMScheduler"), ["schedule"], {}, examples=25)
    row = run.search(DDPMAdapter(DDPMLinspaceOffByOne), "schedule", {}, seed=0,
                     max_examples=EXAMPLES)
    assert row.status == "fails" and row.failure.contract == "beta-linear"
    assert "Ho et al. 2020, Sec. 4 (linear schedule)" in row.report()


# -- real discrepancies of diffusers 0.42.1 ----------------------------------------------------
def test_real_ddim_steps_off_its_own_trailing_and_linspace_grids():
    """diffusers issue 12633 (open): DDIMScheduler.step takes t - T // n as the previous timestep
    whatever the spacing."""
    failure = run.replay(get("DDIMScheduler"), "grid",
                         {**DDIM, "timestep_spacing": "trailing", "num_inference_steps": 3})
    assert failure.message == "the step at timestep 666 lands on timestep 333; the grid's next is 332"
    failure = run.replay(get("DDIMScheduler"), "step",
                         {**DDIM, "timestep_spacing": "linspace", "num_inference_steps": 10})
    assert failure.contract == "ddim-step-epsilon" and failure.timestep == 999
    assert failure.diff > 1e6 * failure.budget
    # by hand: the grid is 999, 888, ...; Eq. 12 to abar_888, the step lands on abar_899
    import torch
    from diffusers import DDIMScheduler
    s = DDIMScheduler(timestep_spacing="linspace", clip_sample=False)
    s.set_timesteps(10)
    assert s.timesteps.tolist()[:2] == [999, 888]
    x, e = torch.ones(1, 1, dtype=torch.float64), torch.zeros(1, 1, dtype=torch.float64)
    landed = float(s.step(e, 999, x).prev_sample) ** 2 * float(s.alphas_cumprod[999])
    assert landed == pytest.approx(float(s.alphas_cumprod[899]), rel=1e-6)


def test_real_trailing_grids_can_hold_a_timestep_minus_one():
    """T = 1000, n = 61: np.arange(1000, 0, -1000/61) has 62 elements (the float quotient is
    61.00000000000001), so the grid ends ..., 16, -1 and the last step indexes
    alphas_cumprod[-1] = abar_999.  Exact count by mpmath: 61."""
    mpmath.mp.dps = 50
    assert sum(mpmath.mpf(1000) - k * mpmath.mpf(1000) / 61 > 0 for k in range(100)) == 61
    for name in ("DDIMScheduler", "DDPMScheduler"):
        config = {**(DDIM if name == "DDIMScheduler" else DDPM), "timestep_spacing": "trailing",
                  "num_inference_steps": 61}
        failure = run.replay(get(name), "grid", config)
        assert failure.message.startswith("timesteps outside [0, 999]: [-1]"), failure.message


def test_real_ddpm_adds_noise_on_the_last_step_of_a_strided_grid():
    """Algorithm 2 adds no noise on the last step; diffusers skips it only at t = 0.  On a grid
    whose last timestep is t > 0 (trailing; leading with steps_offset = 1) fixed_large adds noise
    of variance 1 - abar_t/1, and fixed_small (variance 0 there) 1e-10 z (its clamp at 1e-20)."""
    config = {**DDPM, "variance_type": "fixed_large", "timestep_spacing": "trailing",
              "num_inference_steps": 1}
    failure = run.replay(get("DDPMScheduler"), "step", config)
    assert failure.contract == "ddpm-step-epsilon-fixed_large" and failure.timestep == 999
    assert failure.diff > 0.1
    small = run.replay(get("DDPMScheduler"), "step",
                       {**config, "variance_type": "fixed_small"})
    assert small is not None and 1e-12 < small.diff < 1e-9          # sqrt(1e-20) |z|
    assert run.replay(get("DDPMScheduler"), "float32",
                      {**config, "variance_type": "fixed_small"}) is None


def test_zero_terminal_snr_with_an_eps_prediction_is_named_not_failed():
    notes = []
    config = {**DDIM, "timestep_spacing": "trailing", "rescale_betas_zero_snr": True,
              "num_inference_steps": 5}
    assert run.replay(get("DDIMScheduler"), "endpoints", config) is None
    from diffproof.numeric.conform import properties as P
    assert P.endpoints(get("DDIMScheduler"), config, notes) is None
    assert notes and "undefined at abar_t = 0 (zero terminal SNR, timestep 999)" in notes[0]
    assert "NaN/Inf without a warning" in notes[0]
    assert run.replay(get("DDIMScheduler"), "endpoints",
                      {**config, "prediction_type": "v_prediction"}) is None


# -- planted bugs ------------------------------------------------------------------------------
def test_planted_ddim_float_stride_on_a_trailing_grid_is_caught():
    row = run.search(DDIMAdapter(DDIMFloatStride), "grid",
                     {"timestep_spacing": "trailing", "eta": 0.0}, seed=0, max_examples=EXAMPLES)
    assert row.status == "fails"
    report = row.report()
    assert "DDIMFloatStride timestep_spacing=trailing, eta=0.0: property 4 the timestep grid" in report
    assert "lands on timestep 665; the grid's next is 666" in report
    assert "num_inference_steps=3" in report and "replay:" in report
    step = run.search(DDIMAdapter(DDIMFloatStride), "step",
                      {"timestep_spacing": "trailing", "eta": 0.0}, seed=0, max_examples=EXAMPLES)
    text = step.report()
    assert step.status == "fails" and "Song, Meng & Ermon 2021, Eqs. 12 and 16" in text
    assert "contract: ddim-step-epsilon" in text and "budget" in text and len(text.splitlines()) <= 12


def test_planted_ddpm_beta_from_float32_cumulative_products_is_caught_in_float64():
    row = run.search(DDPMAdapter(DDPMFloat32Beta), "step",
                     {"variance_type": "fixed_large", "timestep_spacing": "linspace"}, seed=0,
                     max_examples=EXAMPLES)
    assert row.status == "fails"
    f = row.failure
    assert f.contract == "ddpm-step-epsilon-fixed_large" and 1e-11 < f.diff < 1e-6
    assert f.diff > 10 * f.budget
    report = row.report()
    assert "Ho et al. 2020, Eq. 7 and Algorithm 2" in report and "derived" in report
    # the real class holds on that same config
    assert run.replay(get("DDPMScheduler"), "step", row.config) is None


def test_planted_ddpm_one_step_beta_on_a_strided_grid_is_caught_in_float32_too():
    for prop in ("step", "float32"):
        row = run.search(DDPMAdapter(DDPMOneStepBeta), prop,
                         {"variance_type": "fixed_small", "timestep_spacing": "leading"}, seed=0,
                         max_examples=EXAMPLES)
        assert row.status == "fails" and row.failure.diff > 100 * row.failure.budget


def test_planted_v_sign_convention_breaks_parametrization_invariance():
    row = run.search(DDIMAdapter(DDIMVSignFlipped), "invariance",
                     {"timestep_spacing": "leading", "eta": 0.0}, seed=0, max_examples=EXAMPLES)
    assert row.status == "fails", row.report()
    assert "ddim-step-v_prediction" in row.report() and "of one exact denoiser disagree" in row.report()
    # its step contract fails too, and the eps and x0 parametrizations are untouched
    assert run.replay(DDIMAdapter(DDIMVSignFlipped), "step",
                      {**DDIM, "timestep_spacing": "leading", "num_inference_steps": 10,
                       "prediction_type": "v_prediction"}) is not None
    assert run.replay(DDIMAdapter(DDIMVSignFlipped), "step",
                      {**DDIM, "timestep_spacing": "leading", "num_inference_steps": 10}) is None


# -- the command --------------------------------------------------------------------------------
def test_conform_command_prints_the_table_and_exits_1_on_the_real_discrepancies(capsys):
    code = main(["conform", "DDIMScheduler", "--property", "grid", "--examples", "5"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.splitlines()[0].startswith("scheduler / configs")
    assert "DDIMScheduler timestep_spacing=trailing eta=0.0" in out
    assert "rows:" in out


def test_conform_command_json_and_usage_errors(capsys):
    import json
    code = main(["conform", "DDPMScheduler", "--json", "--property", "float32", "--examples", "3"])
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"rows", "summary"} and out["summary"]["rows"] == 6 and code in (0, 1)
    assert main(["conform", "EulerNope"]) == 2
    err = capsys.readouterr().err
    assert "no adapter for EulerNope; known schedulers: DDPMScheduler, DDIMScheduler" in err
    assert main(["conform", "--examples", "0"]) == 2
