"""Verification helpers shared by the test suite, ``minigrad gradcheck`` and notebooks:
the op and module registry (``op_db``, one file per op family) and the gradient-check
sweep over it (``gradcheck_sweep``)."""
