"""``python -m orchestrator ...``: the same command line as the ``orchestrator`` script."""

from orchestrator.cli import main

raise SystemExit(main())
