"""The store a gate opens on first use, so that ASGI lifespan passes through the gate untouched.

Capabilities never hold the store itself: they get a :data:`StoreOpener` (``await opener()`` gives the
opened store) and so need neither the gate nor the order in which things start.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from . import Store, open_store

__all__ = ["LazyStore", "StoreOpener"]

#: What a capability is given to reach the store: ``store = await opener()``.
StoreOpener = Callable[[], Awaitable[Store]]


class LazyStore:
    """Opens ``store`` (or one from ``url``) once, on the first call; ``on_open`` runs after it opens."""

    def __init__(
        self,
        store: Store | None,
        url: str,
        *,
        migrate: bool,
        on_open: Callable[[Store], None] | None = None,
    ) -> None:
        self._store = store
        self._url = url
        self._migrate = migrate
        self._on_open = on_open
        self._ready = False
        self._lock = asyncio.Lock()

    async def __call__(self) -> Store:
        """The opened store (opened on first use)."""
        if self._ready:
            assert self._store is not None
            return self._store
        async with self._lock:
            if self._store is None:
                self._store = open_store(self._url, migrate=self._migrate)
            if not self._ready:
                await self._store.open()
                self._ready = True
                if self._on_open is not None:
                    self._on_open(self._store)
        return self._store

    async def aclose(self) -> None:
        """Close the store if it was opened (a later call opens it again)."""
        if self._store is not None and self._ready:
            self._ready = False
            await self._store.close()
