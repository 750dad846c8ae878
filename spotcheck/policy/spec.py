"""The description of one policy setting. Its own module so that apps' ``policy_specs`` modules can
import it without importing the registry (which imports them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Spec:
    key: str
    label: str
    default: Any
    help: str
