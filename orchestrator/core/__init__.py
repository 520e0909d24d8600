"""The engine: market arrays, sleeves' ledgers, fills, the chronological loop, metrics, results.

Depends on numpy, pandas and :mod:`orchestrator.errors` only (and skfolio, imported inside
the functions of :mod:`orchestrator.core.rules` that need it); never on strategies, the
services, streamlit or plotly (an import-linter contract in pyproject.toml enforces it).
"""
