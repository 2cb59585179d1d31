"""The torch twin of derive/: schedules, forward process, losses, samplers, exact-score oracle.

Every formula here is the float/tensor form of a SymPy expression in derive/ (formulas.py, sde.py,
losses.py) and tests/test_torch_formulas.py compares the two in float64.  Functions are batched
and follow the dtype and device of their tensor arguments.
"""
__all__ = ["VE", "VP", "SubVP", "DiscreteSchedule", "make_sde"]


def __getattr__(name):
    """Import torch only when a schedule is asked for (``numeric.torchdiff.config`` stays light)."""
    if name in __all__:
        from numeric.torchdiff import schedules
        return getattr(schedules, name)
    raise AttributeError(name)
