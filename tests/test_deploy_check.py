"""``spotcheck check --deploy`` under the production settings prints no warning (issue 13 §8)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_check_deploy_is_clean_under_the_production_settings(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "spotcheck.settings.prod",
           "SPOTCHECK_SECRET_KEY": secrets.token_urlsafe(64), "SPOTCHECK_VAR_DIR": str(tmp_path)}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # the browser tests set the latter for themselves
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
