"""The torch guidance twins (numeric/torchdiff/guidance.py) equal derive.guidance and
derive.weighting in float64: CFG (both conventions), guidance rescale (unbiased std, as torch),
the zero-terminal-SNR rescale and its betas, the Min-SNR weights.  SymPy at 80 digits at the same
float64 inputs (tests.test_torch_formulas' ``exact``), drawn by Hypothesis; relative error <= 1e-12
of the size of the terms."""
from __future__ import annotations

import pytest
import sympy as sp
import torch
from hypothesis import assume, given, settings, strategies as st

from diffproof.derive import guidance as Gd
from diffproof.derive import weighting as W
from diffproof.derive.paths import DDPM
from diffproof.derive.symbols import abar_t
from diffproof.numeric.torchdiff import guidance as tg
from tests.test_torch_formulas import D, close, exact

pytestmark = pytest.mark.usefixtures("one_torch_thread")
EXAMPLES = settings(max_examples=40)
reals = st.floats(-1e2, 1e2)


@EXAMPLES
@given(reals, reals, st.floats(0.0, 20.0))
def test_cfg_both_conventions(ec, eu, w):
    out = tg.cfg(torch.tensor([ec], dtype=D), torch.tensor([eu], dtype=D), 1 + w)
    values = {Gd.eps_c: ec, Gd.eps_u: eu, Gd.cfg_w: w}
    size = (1 + w) * (abs(ec) + abs(eu))
    close(out, exact(Gd.cfg_ho(), values), size, "Ho & Salimans")
    close(out, exact(Gd.cfg(scale=1 + w), values), size, "diffusers")


vectors = st.lists(st.floats(-10, 10), min_size=Gd.COORDINATES, max_size=Gd.COORDINATES)


@EXAMPLES
@given(vectors, vectors, st.floats(0.0, 1.0))
def test_guidance_rescale(guided, positive, phi):
    spread = max(guided) - min(guided)
    assume(spread > 1e-3 and max(positive) - min(positive) > 1e-6)
    a, b = Gd.vector("a"), Gd.vector("b")
    out = tg.guidance_rescale(torch.tensor([guided], dtype=D), torch.tensor([positive], dtype=D), phi)
    values = {**dict(zip(a, guided)), **dict(zip(b, positive)), Gd.phi: phi}
    expected = Gd.guidance_rescale(a, b, unbiased=True)
    for i in range(Gd.COORDINATES):
        close(out[0, i], exact(expected[i], values), 1e3 * (1 + abs(guided[i])) / spread, i)
    # the rescaled output (phi = 1) has the positive prediction's std
    full = tg.guidance_rescale(torch.tensor([guided], dtype=D), torch.tensor([positive], dtype=D), 1.0)
    close(full.std(), torch.tensor(positive, dtype=D).std(), 1e3 / spread, "std")


betas = st.lists(st.floats(1e-4, 0.2), min_size=3, max_size=12)


@EXAMPLES
@given(betas)
def test_zero_terminal_snr(bs):
    b = torch.tensor(bs, dtype=D)
    sqrt_abar = torch.cumprod(1 - b, dim=0).sqrt()
    assume(float(sqrt_abar[0] - sqrt_abar[-1]) > 1e-3)
    out = tg.rescale_sqrt_abar(sqrt_abar)
    first, last = float(sqrt_abar[0]), float(sqrt_abar[-1])
    for i, value in enumerate(sqrt_abar.tolist()):
        values = {Gd.sqrt_abar: value, Gd.sqrt_abar_first: first, Gd.sqrt_abar_last: last}
        close(out[i], exact(Gd.zero_snr_rescale(), values), 1e3, i)
    new = tg.zero_terminal_snr_betas(b)
    new_abar = torch.cumprod(1 - new, dim=0)
    assert float(new_abar[-1]) == 0.0 and float(new[-1]) == 1.0
    close(new_abar[0], 1 - bs[0], 1.0, "first abar kept")
    assert bool((new_abar <= torch.cumprod(1 - b, dim=0) + 1e-15).all())


@EXAMPLES
@given(st.floats(1e-4, 1 - 1e-4), st.floats(0.1, 20.0))
def test_min_snr_weights(abar, gamma):
    snr = torch.tensor([abar / (1 - abar)], dtype=D)
    values = {abar_t: abar, W.gamma: gamma}
    close(tg.min_snr_weight(snr, gamma, "x"), exact(W.min_snr_x_weight(DDPM), values), 1.0, "x")
    for kind in ("eps", "v"):
        close(tg.min_snr_weight(snr, gamma, kind), exact(W.min_snr_weight(DDPM, kind), values),
              10.0, kind)
    with pytest.raises(ValueError):
        tg.min_snr_weight(snr, gamma, "score")
