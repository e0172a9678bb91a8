"""Derivative rules. Importing this package fills the rule table."""
from . import numpy_rules  # noqa: F401  (each module registers its rules)
from . import elementwise, linalg, reductions, shapes  # noqa: F401
from . import more_numpy  # noqa: F401  (after the modules whose rules it reuses)
from . import scipy_rules  # noqa: F401  (registers nothing unless SciPy is installed)
from .registry import Rule, defjvp, defvjp, is_elementwise, is_nondiff, nondiff, registered, rule_for

__all__ = ["Rule", "defjvp", "defvjp", "is_elementwise", "is_nondiff", "nondiff", "registered", "rule_for"]
