"""A stateful emulator of the WebWork API V2, mounted at /sandbox/.

It keeps its state in its own models on the `sandbox` database alias and never
imports the dashboard or the mirror.
"""
