"""Policy settings of the credit app (collected by ``spotcheck.policy.registry``)."""

from spotcheck.policy.registry import Spec

SPECS: list[Spec] = []
