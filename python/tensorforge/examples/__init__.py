"""Runnable examples: ``python -m tensorforge.examples.NAME``."""
