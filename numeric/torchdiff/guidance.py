"""Guidance and loss weights in torch: the CFG combination, guidance rescale, the zero-terminal-SNR
rescale of a beta schedule, and the Min-SNR-gamma weights of the x, eps and v losses.

SymPy twins: derive.guidance (cfg, cfg_ho, guidance_rescale, zero_snr_rescale) and
derive.weighting (min_snr_weight on DDPM's path).  tests/test_torch_guidance.py compares each in
float64 with the SymPy expressions at 80 digits on Hypothesis-drawn inputs.
"""
from __future__ import annotations

import torch

Tensor = torch.Tensor


def cfg(eps_cond: Tensor, eps_uncond: Tensor, scale: float) -> Tensor:
    """eps_u + s (eps_c - eps_u); Ho & Salimans' w is s - 1."""
    return eps_uncond + scale * (eps_cond - eps_uncond)


def guidance_rescale(guided: Tensor, positive: Tensor, phi: float, unbiased: bool = True) -> Tensor:
    """phi guided std(positive)/std(guided) + (1 - phi) guided, the std over every dimension but
    the batch's first (Lin et al. 2023, Sec. 3.4)."""
    dims = tuple(range(1, guided.ndim))
    ratio = (positive.std(dim=dims, unbiased=unbiased, keepdim=True)
             / guided.std(dim=dims, unbiased=unbiased, keepdim=True))
    return phi * guided * ratio + (1 - phi) * guided


def rescale_sqrt_abar(sqrt_abar: Tensor) -> Tensor:
    """(sqrt_abar - last) first/(first - last): the last becomes 0, the first is kept."""
    first, last = sqrt_abar[0], sqrt_abar[-1]
    return (sqrt_abar - last) * first / (first - last)


def zero_terminal_snr_betas(betas: Tensor) -> Tensor:
    """Betas whose abar ends at 0 (Lin et al. 2023, Algorithm 1): abar from the betas, sqrt(abar)
    rescaled, the betas back from the ratios of consecutive abar (the last beta is 1)."""
    abar = torch.cumprod(1 - betas, dim=0)
    new_abar = rescale_sqrt_abar(abar.sqrt()) ** 2
    alphas = torch.cat([new_abar[:1], new_abar[1:] / new_abar[:-1]])
    return 1 - alphas


def min_snr_weight(snr: Tensor, gamma: float, kind: str) -> Tensor:
    """The Min-SNR-gamma weight of the ``kind`` loss on a VP path: x min(SNR, gamma), eps
    min(SNR, gamma)/SNR, v min(SNR, gamma)/(SNR + 1) (Hang et al. 2023)."""
    clipped = torch.clamp(snr, max=gamma)
    if kind == "x":
        return clipped
    if kind == "eps":
        return clipped / snr
    if kind == "v":
        return clipped / (snr + 1)
    raise ValueError(f"kind is x, eps or v, not {kind!r}")
