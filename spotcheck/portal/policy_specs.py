"""Policy settings of the portal app (collected by ``spotcheck.policy.registry``)."""

from spotcheck.policy.registry import Spec

SPECS: list[Spec] = []
