"""The torch twin of derive/: schedules, forward process, losses, samplers, exact-score oracle.

Every formula here is the float/tensor form of a SymPy expression in derive/ (formulas.py, sde.py,
losses.py) and tests/test_torch_formulas.py compares the two in float64.  Functions are batched
and follow the dtype and device of their tensor arguments.
"""
from numeric.torchdiff.schedules import VE, VP, SubVP, DiscreteSchedule, make_sde

__all__ = ["VE", "VP", "SubVP", "DiscreteSchedule", "make_sde"]
