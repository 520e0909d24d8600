"""The command line: ``orchestrator`` / ``python -m orchestrator`` (see :func:`main`)."""

from orchestrator.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
