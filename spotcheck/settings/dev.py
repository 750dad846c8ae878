"""Local / demo settings: DEBUG on, a fixed development key. Never use in production."""

from .base import *  # noqa: F401,F403
from .base import SECRET_KEY as _KEY

DEBUG = True
SECRET_KEY = _KEY or "dev-only-insecure-key-spotcheck-demo-do-not-deploy"
ALLOWED_HOSTS = ["*"]
