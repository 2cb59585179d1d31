"""The catalog's index: one module per topic, its ``DERIVATIONS`` and ``ERRATA`` as plain data.

Importable without SymPy (``diffproof list`` reads only these); ``proofs/catalog/<topic>.py``
builds each entry.
"""
