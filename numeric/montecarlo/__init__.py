"""Monte Carlo decisions with stated error rates.

Modules: ``settings`` (rates, sizes, constants), ``moments`` (running sums), ``mean_tests``
(z, binomial, Bernstein), ``decide`` (the decision and :func:`compare`), ``draws`` (importance
sampling, antithetic pairs, control variates), ``checks`` (the step checks).

A check compares a Monte Carlo mean with a closed form (E_p[f] = c), or the mean of paired
differences with 0 (E_p[f] = E_q[h], both sides drawn with common random numbers: :func:`compare`).
It declares

- a false-fail rate ``false_fail`` (probability of reporting ``fails`` when the identity holds;
  default 1e-6 per check), and
- a minimum detectable discrepancy ``delta = max(rel_tol * scale, abs_floor)`` that is detected
  with probability at least ``power`` (default 0.999); ``scale`` is |target| unless given, and
  ``scale="rms"`` takes the root-mean-square of the summand from the pilot (for targets near 0).

Which test decides (per coordinate; d coordinates are tested at false_fail / d, Bonferroni):

- ``bounds=(lo, hi)`` declared and every draw is lo or hi (an indicator): the exact two-sided
  binomial test at the claimed probability (no approximation; power computed exactly).
- ``bounds`` declared, other values: a Bernstein bound with the variance bound at the claimed mean
  ((c - lo)(hi - c), or the declared ``variance`` if smaller), or the empirical Bernstein bound
  (Maurer & Pontil 2009) when the pilot shows a much smaller variance.  Both hold for every law
  on [lo, hi]: the false-fail rate is guaranteed, not approximate.
- otherwise the z-test |mean - c| / stderr > z_crit.  Its rate rests on the normal approximation,
  so the engine checks it: z_crit carries the first-order Edgeworth correction for the sample
  skewness (Hall 1992, the Studentized mean), the standard error uses an upper bound of the sd
  (from the sample kurtosis) or the declared ``variance`` if larger, and the verdict is
  ``undecided`` (never ``fails``) when the draws are tied (all but a few equal: no spread to
  estimate, e.g. a rare indicator), too skewed (the Edgeworth correction exceeds 100% of the
  tail) or too heavy-tailed (the variance estimate's relative error sqrt((kurtosis - 1)/n) > 0.25).

Sample size: a pilot sizes n for the stated power (from the pilot's sd upper bound, the declared
variance or the bounds; tied pilots draw the cap), plus what the skewness and kurtosis checks
need; after the main sample n is re-sized once from its own moments.  The report's ``power`` is
the power at delta at the n actually drawn and ``detectable`` the discrepancy found with the
declared power; when the cap keeps the power below the declared one the verdict is ``undecided``
(a discrepancy still found is ``fails``).  Tails: :func:`shifted_normal` samples a shifted normal
with likelihood-ratio weights (importance sampling).

Draws come in batches so memory stays bounded; every stream derives from the seed, so a run
replays exactly.  Variance reduction where it pays: :func:`compare` (common random numbers),
:func:`antithetic` (pairs z, -z), :func:`with_control_variates` (controls with known means).
"""
from __future__ import annotations

from diffproof.numeric.montecarlo.checks import ControlVariateCheck, LazyCheck, MonteCarloCheck, PairedCheck
from diffproof.numeric.montecarlo.decide import compare, decide
from diffproof.numeric.montecarlo.draws import antithetic, shifted_normal, with_control_variates
from diffproof.numeric.montecarlo.settings import DEFAULT, Draw, MCSettings, PairDraw

__all__ = ["ControlVariateCheck", "DEFAULT", "Draw", "LazyCheck", "MCSettings", "MonteCarloCheck",
           "PairDraw", "PairedCheck", "antithetic", "compare", "decide", "shifted_normal",
           "with_control_variates"]
