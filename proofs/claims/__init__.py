"""Checking claims written in LaTeX (``diffproof claim``): displays of a .tex/.md file, or one
formula (docs/claims.md 'Checking claims written in LaTeX').

A display (``$$...$$``, ``\\[...\\]``, ``equation``, ``align``, ``aligned``, ``gather``, starred or
not) is one claim; a chain ``a &= b \\\\ &= c`` has one step per link.  ``% assume:`` lines give
bounds, orderings and definitions.  One module per idea:

- :mod:`.run`: the entry points, :func:`~.run.check_text` and :func:`~.run.check_file_text`;
- :mod:`.document`: reading a document: its displays, its ``% assume:`` lines, a display's lines;
- :mod:`.assumptions`: the assumptions, and the domains of symbols no assumption bounds;
- :mod:`.steps`: a claim and its steps, parsed from a display, and its elided links;
- :mod:`.pipeline`: one claim, and the numbered stages of one step's check;
- :mod:`.readings`: the readings a step may get (built-in relations, the model mean, Tweedie,
  schedules, definitions, in distribution, ``\\propto`` in any variable);
- :mod:`.safety`: the numeric safety net around :func:`proofs.checker.check_relation`;
- :mod:`.indices`: refutations relating schedule members of different indices (alphabar_s,
  alphabar_t) stand only at a point one schedule has;
- :mod:`.frames`: claims about vectors, checked in R^d for every dimension d, with
  :mod:`.dimension` the one-coordinate reading where the frames do not apply;
- :mod:`.redefined`: built-in names beside a schedule the user redefines.

Reports (terminal, JSON) are in :mod:`proofs.report`.
"""
