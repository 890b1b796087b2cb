"""The convergence check, shared with `bench faults`: it lives in integrations/bench/convergence.py."""

from integrations.bench.convergence import CHECKS, assert_converged, check, differences

__all__ = ["CHECKS", "assert_converged", "check", "differences"]
