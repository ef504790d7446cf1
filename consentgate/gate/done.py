"""An awaitable that is already done: what a ``send`` gives back for a message it holds on to or
drops, where a coroutine would cost one more object per message."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, Final

__all__ = ["DONE"]


class _Done:
    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # a generator that ends at once


DONE: Final = _Done()
