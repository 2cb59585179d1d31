"""diffproof's numbers: random-point evaluation, Monte Carlo decisions, Hypothesis strategies and the
torch module holding the same formulas for training and sampling.  May import ``derive``."""
