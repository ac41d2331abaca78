"""Verification helpers shared by the test suite, ``minigrad gradcheck`` and notebooks:
the op registry (``op_db``) and the sweeps over it (``sweep``)."""
