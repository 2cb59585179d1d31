"""The LaTeX front end: printing SymPy in the papers' notation, and reading it back.

- :mod:`derive.latex.printer` (``to_latex``, derivation displays) and :mod:`derive.latex.text`
  (text inside LaTeX, formula widths): SymPy -> LaTeX.
- :mod:`derive.latex.tokens` (tokenizer, errors, token cursor), :mod:`derive.latex.context`
  (``Context``, ``FunctionDef``, ``Vocabulary``), :mod:`derive.latex.parser` (the core grammar
  and the entry points ``read_*``) with the parts of the grammar in :mod:`derive.latex.names`,
  :mod:`derive.latex.elementary`, :mod:`derive.latex.calculus` and
  :mod:`derive.latex.probability`: LaTeX -> SymPy.

The parser takes its vocabulary of built-in names from the context and imports none;
:mod:`derive.notation_reader` reads with the diffusion vocabulary of :mod:`derive.vocabulary`.
This package imports nothing on its own (import the module you need).
"""
