"""The decision procedures, together: whether an expression is identically zero (:mod:`.zero`),
whether it is nonnegative on the domain (:mod:`.inequality`), whether it is analytic in some
symbols (:mod:`.analytic`), and the CPU-time and memory limits every one of them runs under
(:mod:`.budget`).
"""
