"""The draws tests' data: a small 阳城 directory, a plan with items and tasks, and helpers to walk a draw
through its steps. The fixtures (``world``, ``staffed``, ``approver``, ``approver2``) are shared with other
apps and live in ``tests/conftest.py``; the helpers (``make_task``, ``commit``, ``reveal``, ``full_run``,
``JINCHENG``) in ``tests/factories.py``."""
