"""Conformance of real implementations to the derived formulas (issue 17).

The parts:

- ``contracts.py``: a :class:`~contracts.Contract` per derived formula (forward noising, the
  prediction conversions, the DDPM posterior mean/variance and step, the DDIM step of Eqs. 12/16),
  built from the SymPy expressions of ``derive/`` and lambdified by ``derive.codegen``; each
  states its error budget, n_ops * u * (|f| + sum |x_i df/dx_i|), from the expression;
- ``contracts_sigma.py``: the contracts of the samplers in sigma (Euler, Euler ancestral, Heun,
  EDM Euler; formulas of derive/sigma_steps.py and derive/edm.py), registered into the same table;
- ``adapters/``: one module per implementation, each with ``ADAPTER``, an instance of a subclass
  of ``adapters.base.Adapter`` (the interface and what each method must return are documented
  there);
- ``properties.py``: the properties (1 step, 2 invariance, 4 grid, 5 endpoints, 6 float32), each a
  function (adapter, config) -> Failure | None;
- ``sampling.py``: property 3, the whole sampling loop with the exact Gaussian-mixture denoiser,
  decided by the Monte Carlo engine;
- ``run.py``: the Hypothesis search per (adapter, family, property), shrinking a failure, and the
  short report; ``diffproof conform`` (proofs/commands/conform.py) prints its rows.

How to add an adapter (e.g. EulerDiscreteScheduler):

1. If the scheduler computes a formula no contract has yet (the Euler step in sigma,
   DPM-Solver++(2M), the flow Euler step, the time shift, scale_model_input), add the formula to
   ``derive/`` (SymPy, cited) if it is not there, and a ``Contract`` in ``contracts.py`` whose
   ``build`` returns (input symbols, expression) from it: never retype the formula.
2. Write ``adapters/<library>_<scheduler>.py`` with a subclass of ``adapters.base.Adapter``
   (or of ``diffusers_common.DiscreteAdapter`` for an alphas_cumprod scheduler): ``name`` (the
   class name), ``families`` (the fixed config parts, one report row each), ``draw_config``,
   ``make`` (with the float64 promotion of its schedule tensors), ``grid`` and
   ``grid_problems``, ``step_case`` (run one step, supplying or recovering its noise, and say
   which contract and which inputs it used) and ``invariance_cases``; end with
   ``ADAPTER = YourAdapter()``.
3. Register it in ``adapters/__init__.py: ADAPTERS`` (name -> module).
4. Add ``tests/test_conform_<scheduler>.py``: the real class holds (or its discrepancies are
   asserted and documented), and a subclass with a planted bug is caught with a readable report.
"""
