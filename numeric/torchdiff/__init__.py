"""The torch twin of derive/: schedules, forward process, losses, samplers, exact-score oracle.

Every formula here is the float/tensor form of a SymPy expression in derive/ (formulas.py, sde.py,
losses.py) and tests/test_torch_formulas.py compares the two in float64 (relative error <= 1e-12,
also at the edges: t near 0 and 1, abar near 0 and 1, tiny and huge sigma).  Functions are batched
and follow the dtype and device of their tensor arguments.

float32 error budget: schedule values are computed in float64 and rounded once (<= 2^-24 ~ 6e-8
relative); the DDPM posterior mean, q(x_i | x_0) draws and the DDPM model mean are within
8 * 2^-24 ~ 4.8e-7 relative to the size of their terms (tests/test_torch_robust_numerics.py).
"""
__all__ = ["VE", "VP", "SubVP", "DiscreteSchedule", "make_sde"]


def __getattr__(name):
    """Import torch only when a schedule is asked for (``numeric.torchdiff.config`` stays light)."""
    if name in __all__:
        from diffproof.numeric.torchdiff import schedules
        return getattr(schedules, name)
    raise AttributeError(name)
