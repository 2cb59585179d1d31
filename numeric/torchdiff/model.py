"""A small time-conditioned MLP score model s_theta(x, t) = net(x, emb(t)) / std(t).

Unlike seed 002's ScoreModel, the network sees t (through Fourier features), so it can represent
a score whose shape changes with t; dividing by the kernel std keeps the output at the scale of
-eps / std (Song et al. 2021, the 1/sigma(t) output scaling).  When t is one time for the whole
batch (0-dim, as in the samplers), the time features enter the first layer as a bias computed once.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from diffproof.numeric.torchdiff.schedules import LinearSDE

Tensor = torch.Tensor


class ScoreMLP(nn.Module):
    def __init__(self, sde: LinearSDE, dim: int = 2, hidden: int = 128, depth: int = 3,
                 n_freq: int = 8):
        super().__init__()
        if dim < 1 or hidden < 1 or depth < 1 or n_freq < 1:
            raise ValueError("dim, hidden, depth and n_freq must be positive")
        self.sde = sde
        self.register_buffer("freqs", math.pi * 2.0 ** torch.arange(n_freq, dtype=torch.float32))
        self.inp = nn.Linear(dim, hidden)
        self.time = nn.Linear(2 * n_freq, hidden, bias=False)
        self.hidden = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(depth - 1))
        self.out = nn.Linear(hidden, dim)
        self.act = nn.SiLU()
        self.config = {"dim": dim, "hidden": hidden, "depth": depth, "n_freq": n_freq}

    def embed(self, t: Tensor) -> Tensor:
        angles = t[..., None] * self.freqs.to(t.dtype)
        return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)

    def forward(self, x: Tensor, t: Tensor) -> Tensor:
        t = torch.as_tensor(t, dtype=x.dtype, device=x.device)
        if t.ndim == 0 and not torch.is_grad_enabled():
            return self._sample_forward(x, t)
        if t.ndim == 0:  # one time for the batch: fold the time features into the first bias
            bias = self.inp.bias + self.time(self.embed(t))
            h = torch.addmm(bias, x, self.inp.weight.t())
            std = self.sde.kernel_std(t)
        else:
            t = t.reshape(x.shape[0])
            h = self.inp(x) + self.time(self.embed(t))
            std = self.sde.kernel_std(t)[:, None]
        h = self.act(h)
        for layer in self.hidden:
            h = self.act(layer(h))
        return self.out(h) / std

    CHUNK = 2048

    def _sample_forward(self, x: Tensor, t: Tensor) -> Tensor:
        """The same function without autograd, for one time: rows in cache-sized chunks, the time
        features folded into the first bias, activations in place, 1/std folded into the last
        layer."""
        bias = self.inp.bias + self.time(self.embed(t))
        inv_std = 1 / self.sde.kernel_std(t)
        w_in = self.inp.weight.t()
        w_out, b_out = self.out.weight.t() * inv_std, self.out.bias * inv_std
        hidden = [(layer.weight.t(), layer.bias) for layer in self.hidden]
        out = torch.empty_like(x)
        for start in range(0, x.shape[0], self.CHUNK):
            h = torch.addmm(bias, x[start:start + self.CHUNK], w_in)
            torch.nn.functional.silu(h, inplace=True)
            for weight, b in hidden:
                h = torch.addmm(b, h, weight)
                torch.nn.functional.silu(h, inplace=True)
            torch.addmm(b_out, h, w_out, out=out[start:start + self.CHUNK])
        return out
