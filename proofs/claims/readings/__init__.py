"""The readings ``diffproof claim`` may give a step beyond its symbols taken as free numbers
(docs/claims.md 'Built-in relations, definitions and unknown functions', 'Steps that hold in
distribution'); each is computed from :mod:`derive`, never retyped, and the report states the
reading it used.

- :mod:`.reparametrization`: x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps_0 (Luo Eq. 69);
- :mod:`.model_mean`: mu_theta through one kind of prediction (Luo Eqs. 95, 125, 143);
- :mod:`.tweedie`: the marginal score, and a step read in conditional expectation given x_t;
- :mod:`.schedules`: the VE and VP schedules of notation.md (derive.sde);
- :mod:`.definitions`: a step that defines a name, and unknown functions at one point;
- :mod:`.distribution` (with :mod:`.noises`): sums of independent standard normal noises;
- :mod:`.propto`: ``\\propto`` with no stated variable.

Each module's reading class implements :class:`.base.StepReading` (``before`` the check: extend
the assumptions or decide; ``after``: read a verdict again) on the shared :class:`.base.StepState`.
The pipeline (:mod:`proofs.claims.pipeline`, ``BEFORE`` and ``AFTER``) decides the order; the
readings that re-check a step go through the safety net (:mod:`proofs.claims.safety`).
"""
