"""The mock's ASGI lifespan, when it has something to do at startup or shutdown: the `--state` saver starts once
startup is complete and saves a last time when shutdown begins (uvicorn sends it after the requests in flight are
done); on a shared store, startup completes only once the default world is loaded from Redis (a worker takes no
connection before, so its first request does not pay for the load), and a store that does not answer fails the
startup with its reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import SharedStoreUnavailable

if TYPE_CHECKING:
    from .replica import SharedWorld
    from .statefile import Saver


async def serve(
    app: ASGIApp, saver: Saver | None, shared: SharedWorld | None, scope: Scope, receive: Receive, send: Send
) -> None:
    """Pass the lifespan `scope` on to `app`, doing the saver's and the shared world's parts on the way."""

    async def received() -> Message:
        message = await receive()
        if message["type"] == "lifespan.shutdown" and saver is not None:
            await saver.stop()
        return message

    async def sent(message: Message) -> None:
        if message["type"] == "lifespan.startup.complete":
            if shared is not None:
                try:
                    await shared.sync()
                except SharedStoreUnavailable as error:
                    message = {"type": "lifespan.startup.failed", "message": str(error)}
            if saver is not None:
                saver.start()
        await send(message)

    await app(scope, received, sent)
