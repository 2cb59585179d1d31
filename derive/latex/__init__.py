"""The LaTeX front end: printing SymPy in the papers' notation, and reading it back."""
