"""Temporary re-export: the analyticity test lives in :mod:`derive.decide.analytic`.

Only for ``proofs/claim.py`` and ``proofs/claims/``, being moved now; remove this module once their
imports name ``derive.decide.analytic`` (issue 13).
"""
from derive.decide.analytic import analytic_in

__all__ = ["analytic_in"]
