"""Reports of verdicts, one module per form:

- :mod:`.terminal`: the text of ``diffproof check``;
- :mod:`.as_json`: its ``--json`` object;
- :mod:`.summary`: the tallies and exit code both share;
- :mod:`.points`: the one counterexample formatter, used by every report;
- :mod:`.latex`, :mod:`.markdown`: the documents of ``diffproof latex`` (with :mod:`.document`,
  what both documents share, and :mod:`.formula_sheet`, the derived formulas they show).
"""
