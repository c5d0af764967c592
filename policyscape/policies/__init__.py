"""Policy parameterizations: flat θ ↔ action distributions."""

from policyscape.policies.softmax import TabularSoftmaxPolicy, entropy

__all__ = ["TabularSoftmaxPolicy", "entropy"]
