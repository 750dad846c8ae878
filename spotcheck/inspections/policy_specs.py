"""Policy settings of the inspections app (collected by ``spotcheck.policy.registry``)."""

from spotcheck.policy.registry import Spec

SPECS: list[Spec] = []
