"""Reproducible survey-research pipeline: raw export to report."""

__version__ = "0.1.0"
