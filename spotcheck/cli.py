"""The ``spotcheck`` console command: Django management with the project's settings.

``spotcheck migrate``, ``spotcheck runserver``, ``spotcheck import institutions FILE.xlsx``,
``spotcheck draw compute INPUT.json``, ``spotcheck audit verify`` … Settings default to
``spotcheck.settings.dev`` unless ``DJANGO_SETTINGS_MODULE`` is set (production sets it to
``spotcheck.settings.prod``).
"""

from __future__ import annotations

import os
import sys

#: Long-running servers: their events belong to the requests and jobs they serve, not to the command line.
SERVERS = frozenset({"runserver", "worker", "db_worker"})

#: Sub-commands with a second word (``spotcheck import institutions``) map to management commands.
ALIASES = {"import": "import_data", "export": "export_data", "demo-data": "demo_data"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings.dev")
    if args and args[0] in ALIASES:
        args[0] = ALIASES[args[0]]
    from django.core.management import execute_from_command_line

    if args and args[0] in SERVERS:
        execute_from_command_line(["spotcheck", *args])
        return
    from spotcheck.audit.context import bind_cli_context

    with bind_cli_context():  # the audit log shows these events as 命令行（用户 X）
        execute_from_command_line(["spotcheck", *args])


if __name__ == "__main__":
    main()
