"""Credit tests' data: a reviewed 阳城 inspection with findings built through the ORM (``reviewed``,
``finding``, ``penalise``, ``send_reviewed``, ``send_decided`` in ``tests/factories.py``), and credit users.
The fixtures (``hospital_inspection``, ``reviewer``, ``poor``, ``inst_user``) are shared with the browser
tests and live in ``tests/conftest.py``."""
