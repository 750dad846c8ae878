#!/usr/bin/env bash
# `make demo`: the background worker (runs queued imports) in the background, the web server in the
# foreground; the worker is stopped when the web server exits (Ctrl+C).
# Usage: scripts/demo-serve.sh BIN_DIR PORT   (DJANGO_SETTINGS_MODULE is taken from the environment)
set -u
BIN=${1:-.venv/bin}
PORT=${2:-8000}

"$BIN/spotcheck" worker --interval 1 &
WORKER=$!
stop_worker() {
  if kill -0 "$WORKER" 2>/dev/null; then
    kill -TERM "$WORKER" 2>/dev/null
    wait "$WORKER" 2>/dev/null
  fi
}
trap stop_worker EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$BIN/spotcheck" runserver "127.0.0.1:$PORT"
