"""Verification on .bin pair files (LFW / CFP-FP / AgeDB-30 style)."""
