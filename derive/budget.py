"""Temporary re-export: the hard limits live in :mod:`derive.decide.budget`.

Only for ``proofs/claim.py``, which is being moved into ``proofs/claims/`` now; remove this module
once its imports name ``derive.decide.budget`` (issue 13).
"""
from derive.decide.budget import ERROR, library_site, run_each

__all__ = ["ERROR", "library_site", "run_each"]
