"""The bundled demo dataset (installed as ``orchestrator.demo_data``); see README.md here."""
