"""Objectives: functions of a batch of flat parameter vectors."""

from policyscape.objectives.exact import ExactObjective, exact_terms

__all__ = ["ExactObjective", "exact_terms"]
