"""Derivative rules. Importing this package fills the rule table."""
from . import numpy_rules  # noqa: F401  (registers the rules)
from .registry import Rule, defjvp, defvjp, is_elementwise, is_nondiff, nondiff, registered, rule_for

__all__ = ["Rule", "defjvp", "defvjp", "is_elementwise", "is_nondiff", "nondiff", "registered", "rule_for"]
