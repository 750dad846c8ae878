"""Settings packages: ``base`` (shared), ``dev`` (demo / local), ``prod`` (deployment), ``test``."""
