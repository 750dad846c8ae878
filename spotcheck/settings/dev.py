"""Local / demo settings: DEBUG on, a fixed development key. Never use in production."""

import os

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY as _KEY

DEBUG = True
SECRET_KEY = _KEY or "dev-only-insecure-key-spotcheck-demo-do-not-deploy"
ALLOWED_HOSTS = ["*"]

# The demo signs in with the README's password alone; production asks for a second factor and expires
# passwords (SPOTCHECK_TWO_FACTOR_ROLES, SPOTCHECK_PASSWORD_MAX_AGE_DAYS in base.py). Set the variables
# to try them here.
SPOTCHECK_TWO_FACTOR_ROLES = frozenset(
    r.strip() for r in os.environ.get("SPOTCHECK_TWO_FACTOR_ROLES", "").split(",") if r.strip()
)
SPOTCHECK_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("SPOTCHECK_PASSWORD_MAX_AGE_DAYS", "0"))
# Personal-data encryption: a key file under var/ is created on first use (production refuses to start without one).
SPOTCHECK_FIELD_KEYS_AUTOCREATE = True
