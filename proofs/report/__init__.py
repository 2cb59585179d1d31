"""Reports of verdicts, one module per form:

- :mod:`.terminal`: the text of ``diffproof check`` and ``diffproof claim``;
- :mod:`.as_json`: their ``--json`` objects;
- :mod:`.summary`: the tallies and exit codes both share;
- :mod:`.points`: the one counterexample formatter, used by every report;
- :mod:`.latex`, :mod:`.markdown`: the documents of ``diffproof latex`` (with :mod:`.document`,
  what both documents share, and :mod:`.formula_sheet`, the derived formulas they show).
"""
