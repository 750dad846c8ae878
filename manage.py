#!/usr/bin/env python
"""Django's manage.py; ``spotcheck`` (see spotcheck/cli.py) is the same with aliases."""

import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
