"""Cache backend of the production settings."""

from __future__ import annotations

from typing import Any

from diskcache import DjangoCache


class SharedDiskCache(DjangoCache):
    """diskcache's Django backend (a cache in sharded SQLite files, shared by all worker processes) whose
    connections stay open between requests: Django closes every cache after each request, and reopening
    the shards' SQLite connections would cost about as much as the cached lookups save."""

    def close(self, **kwargs: Any) -> None:
        """Keep the connections (they are per thread and safe to reuse)."""
