"""Temporary re-export: the zero test lives in :mod:`derive.decide.zero`.

Only for ``proofs/claim.py`` and ``proofs/claims/``, being moved now; remove this module once their
imports name ``derive.decide.zero`` (issue 13).
"""
from derive.decide.zero import is_zero

__all__ = ["is_zero"]
