"""Training fixtures live in tests/conftest.py (the GUI tests use them too)."""
