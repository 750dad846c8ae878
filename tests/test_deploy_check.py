"""``spotcheck check --deploy`` under the production settings prints no warning (issue 13 §8)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _prod_env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "spotcheck.settings.prod",
           "SPOTCHECK_SECRET_KEY": secrets.token_urlsafe(64), "SPOTCHECK_VAR_DIR": str(tmp_path)}
    for name in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "SPOTCHECK_FIELD_KEYS", "SPOTCHECK_FIELD_KEYS_FILE"):
        env.pop(name, None)  # the browser tests set DJANGO_ALLOW_ASYNC_UNSAFE for themselves
    return env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "spotcheck.cli", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_under_the_production_settings(tmp_path):
    env = _prod_env(tmp_path)
    made = _run(env, "keys", "generate")  # the personal-data key (var/field-keys.json): works before it exists
    assert made.returncode == 0, made.stdout + made.stderr
    done = _run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout


def test_production_refuses_to_start_without_the_personal_data_key(tmp_path):
    env = _prod_env(tmp_path)
    done = _run(env, "check", "--deploy")
    assert done.returncode != 0 and "spotcheck.E001" in done.stderr and "spotcheck keys generate" in done.stderr
    wsgi = subprocess.run([sys.executable, "-c", "import spotcheck.wsgi"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert wsgi.returncode != 0 and "未配置个人信息加密密钥" in wsgi.stderr
