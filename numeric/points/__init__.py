"""Random-point evaluation of identities at high precision, and counterexample search.

A residual is evaluated with mpmath at 50 significant digits.  A point violates the target only
when the residual keeps the same nonzero value (or negative value, for an inequality) as the
precision grows: round-off shrinks with precision, a real discrepancy does not, however small it
is next to the two sides (``e^{-100} = 0`` fails).  The sides' magnitude only routes the check: a
residual below 10^-(dps - GUARD) of it is first re-evaluated at dps + 10 digits, a larger one goes
straight to confirmation at 100 and 200 digits.

Points satisfy every declared assumption: each symbol's domain (integers stay integers), the
orderings ``a < b`` of the table, through their transitive closure and including symbols the
claim does not mention, and the bounds declared on defined symbols (``abar_t < 1/2`` with
abar_t = alpha_t abar_{t-1}), evaluated exactly through their definitions.  The symbols linked to
the claim's by orderings get values too (bounds are propagated, then values picked), and a
reported counterexample names them.

Values are drawn across scales: log-uniform over 1e-6 .. 1e6 (either sign for real symbols) from
unbounded domains, integers up to 10^6 (small ones first), uniform and near both ends in bounded
domains.  The search tries simple rational values first (so a refutation reads ``alpha_t = 1/2,
abar_{t-1} = 1/3``), then lets Hypothesis draw points and shrink a failing one.

The parts: :mod:`.residual` (what is evaluated, and the natural domain), :mod:`.evaluate` (values
at 50-200 digits and the violation test) with :mod:`.roundoff` (the round-off bound),
:mod:`.region` (domains and orderings as exact intervals, simple values), :mod:`.draws` (simple
points and the Hypothesis strategy) and :mod:`.search` (the counterexample search).
"""
