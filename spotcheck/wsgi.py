"""WSGI entry point (gunicorn ``spotcheck.wsgi:application``).

The URL configuration (and with it every view module) is imported here rather than on a worker's first
request, so no visitor waits for it; with gunicorn ``--preload`` the import happens once in the master.
"""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from spotcheck.base.checks import require_field_keys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spotcheck.settings.prod")
application = get_wsgi_application()
require_field_keys()  # no personal-data key, no start (spotcheck/base/checks.py)
get_resolver().url_patterns  # noqa: B018 — imports the URLconf and the views now
