"""Turning WebWork payloads into mirror rows: one module per resource, run by the orchestrator."""
