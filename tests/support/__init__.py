"""Shared test support: real-parts requirements and paths to the real-world reference data."""
