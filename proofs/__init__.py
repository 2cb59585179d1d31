"""diffproof's catalog of derivations, the checker that runs them, the command line and reports."""
