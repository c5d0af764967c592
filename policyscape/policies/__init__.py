"""Policy parameterizations: flat θ ↔ action distributions, each with a layout object (``layout.py``)."""

from policyscape.policies.layout import Group, Layout
from policyscape.policies.softmax import TabularSoftmaxPolicy, entropy

__all__ = ["Group", "Layout", "TabularSoftmaxPolicy", "entropy"]
