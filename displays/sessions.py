"""A device's session on the server side, for every device channel (screens, boards, pads, print
agents): its tasks run until one ends or the device goes away, then all stop and the socket closes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from litestar import WebSocket
from litestar.exceptions import WebSocketDisconnect

__all__ = ["until_gone"]


async def until_gone(
    socket: WebSocket, tasks: list[asyncio.Task], gone: Callable[[], Awaitable[None]] | None = None
) -> None:
    """Wait for the first of ``tasks`` to end (the device left, stopped answering, or broke the
    protocol), then stop the others, tell ``gone`` (before the close, which a stuck device may
    hold up) and close the socket. A task's own error is raised."""
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    except (WebSocketDisconnect, TimeoutError, ConnectionError):
        pass  # the device went away, or stopped answering
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if gone is not None:
            await gone()
        with contextlib.suppress(Exception):
            await socket.close(code=1001)
