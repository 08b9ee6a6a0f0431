"""Shared custom Keras layers (registered so ``.keras`` files reload)."""
