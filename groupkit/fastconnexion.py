"""connexion's `AsyncApp` with the work it repeats per request done once per operation: the handler's
decoration (and its `inspect.signature`), and the security check's look at the token function's signature.

connexion 3.3 has no option for either, so these are small subclasses of its own classes, each changing one
method and nothing in what a request does or answers:

- `AsyncOperation.fn` builds a new `StarletteDecorator` for every request, and `ASGIDecorator.__call__`'s
  wrapper decorates the handler again inside each call (parameter and response decorators, one
  `inspect.signature` and a `functools.wraps` each). None of that depends on the request: the parameter
  decorator reads the handler's arguments when it decorates, the request is built in the wrapper. Here the
  handler is decorated once, when the operation is made; the request is still built per call, as connexion
  does (`framework.get_request` with the operation's `uri_parser`).
- `AbstractSecurityHandler._accepts_kwarg` runs `inspect.signature` on the token function twice per request;
  `accepts_kwarg` answers the same, remembered per function.
- With `pythonic_params`, the parameter decorator renames every parameter (`nextToken` -> `next_token`) in
  every request through inflection's regular expressions; `pythonic` remembers each name's answer (bounded:
  a query's names are the client's to choose).
- `SwaggerUIMiddleware` runs every request through a Starlette router of its own (the Swagger UI and the
  contract's JSON) before connexion's router; `SwaggerUIByPath` sends it only the requests whose path could
  match one of its routes, and the others straight on, as that router's default would.
- Response validation reads back with `json.loads` the body connexion's jsonifier has just written;
  `RememberingJsonifier` keeps, in the request's context, the last text it wrote and the value it wrote it
  from, and `written` hands that value to the response validator when the body is that very text
  (`groupkit.validation.ResponseValidator`).
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from connexion import AsyncApp
from connexion.apps.abstract import AbstractApp
from connexion.apps.asynchronous import AsyncApi, AsyncASGIApp, AsyncOperation
from connexion.context import receive, scope
from connexion.decorators import StarletteDecorator
from connexion.decorators import parameter as connexion_parameter
from connexion.decorators.parameter import AsyncParameterDecorator
from connexion.jsonifier import Jsonifier
from connexion.middleware import ConnexionMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.operations import AbstractOperation
from connexion.utils import inspect_function_arguments
from starlette.routing import BaseRoute, Mount
from starlette.types import Receive, Scope, Send

_ARGUMENTS: weakref.WeakKeyDictionary[Callable[..., Any], tuple[list[str], bool]] = (
    weakref.WeakKeyDictionary()
)


def accepts_kwarg(func: Callable[..., Any], keyword: str) -> bool:
    """connexion's `AbstractSecurityHandler._accepts_kwarg`, the signature read once per function."""
    try:
        arguments, has_kwargs = _ARGUMENTS[func]
    except (KeyError, TypeError):  # TypeError: a callable that takes no weak reference
        arguments, has_kwargs = inspect_function_arguments(func)
        try:
            _ARGUMENTS[func] = (arguments, has_kwargs)
        except TypeError:
            pass
    return has_kwargs or keyword in arguments


pythonic: Callable[[str], str] = functools.lru_cache(maxsize=1024)(connexion_parameter.pythonic)
"""connexion's `pythonic` renaming of a parameter name, remembered."""


class PythonicParameters(AsyncParameterDecorator):  # type: ignore[misc]  # connexion ships no types
    """connexion's parameter decorator, renaming parameters with the remembered `pythonic`."""

    def __init__(self, *, framework: Any, pythonic_params: bool = False) -> None:
        super().__init__(framework=framework, pythonic_params=pythonic_params)
        if pythonic_params:
            self.sanitize_fn = pythonic


class DecoratedOnce(StarletteDecorator):  # type: ignore[misc]  # connexion ships no types
    """connexion's `StarletteDecorator`, decorating the handler when it is called with it rather than in
    every request, its parameters renamed by `PythonicParameters`."""

    @property
    def _parameter_decorator_cls(self) -> type[AsyncParameterDecorator]:
        return PythonicParameters

    def __call__(self, function: Callable[..., Any]) -> Callable[..., Any]:
        decorated = self.decorate(function)

        @functools.wraps(function)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            request = self.framework.get_request(uri_parser=self.uri_parser, scope=scope, receive=receive)
            return await decorated(request)

        return wrapper


class OnceOperation(AsyncOperation):  # type: ignore[misc]
    """connexion's `AsyncOperation`, whose `fn` (the decorated handler) is built once."""

    @functools.cached_property
    def fn(self) -> Callable[..., Any]:  # a property in connexion; cached here
        decorator = DecoratedOnce(pythonic_params=self.pythonic_params, jsonifier=self.jsonifier)
        return decorator(self._fn)


class OnceApi(AsyncApi):  # type: ignore[misc]
    def make_operation(self, operation: AbstractOperation) -> OnceOperation:
        return OnceOperation.from_operation(  # type: ignore[no-any-return]
            operation, pythonic_params=self.pythonic_params, jsonifier=self.jsonifier
        )


class OnceASGIApp(AsyncASGIApp):  # type: ignore[misc]
    api_cls = OnceApi


_WRITTEN: ContextVar[tuple[str, Any] | None] = ContextVar("groupkit_written", default=None)


class RememberingJsonifier(Jsonifier):  # type: ignore[misc]  # connexion ships no types
    """connexion's jsonifier (the same text), remembering the last text it wrote in this request's context
    and the value it wrote it from."""

    def dumps(self, data: Any, **kwargs: Any) -> str:
        text: str = super().dumps(data, **kwargs)
        _WRITTEN.set((text, data))
        return text


def written(raw: bytes, encoding: str) -> tuple[bool, Any]:
    """(True, the value) when `raw` is, encoded with `encoding`, the last text a `RememberingJsonifier`
    wrote in this context: reading `raw` as JSON gives that value back, up to what JSON cannot hold as it
    is (a tuple reads back as a list, a date as a string); jsonschema_rs reads a tuple as that list and
    raises on a date or a key that is not a string, so that the caller reads such a body back. Else
    (False, None)."""
    last = _WRITTEN.get()
    if last is None:
        return False, None
    try:
        same = raw == last[0].encode(encoding)
    except (LookupError, UnicodeError):
        return False, None
    return (True, last[1]) if same else (False, None)


def _prefixes(routes: list[BaseRoute], base: str = "") -> list[str]:
    """The literal start of every path `routes` match (a path parameter ends it), without a trailing slash."""
    found = []
    for route in routes:
        path = base + getattr(route, "path", "")
        inner = getattr(route, "routes", None) if isinstance(route, Mount) else None
        if inner:
            found += _prefixes(inner, path)
        else:
            found.append(path.split("{", 1)[0].rstrip("/"))
    return found


class SwaggerUIByPath(SwaggerUIMiddleware):  # type: ignore[misc]  # connexion ships no types
    """connexion's Swagger UI middleware, whose router sees only the paths that start like one of its
    routes; with or without a trailing slash, no other path can match one (nor be redirected to one by the
    router's `redirect_slashes`), so the router would hand it to its default, the next app, unchanged."""

    def add_api(self, *args: Any, **kwargs: Any) -> None:
        super().add_api(*args, **kwargs)
        self._starts = tuple(_prefixes(self.router.routes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(getattr(self, "_starts", ("",))):
            await self.app(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


class FastAsyncApp(AsyncApp):  # type: ignore[misc]
    """connexion's `AsyncApp` (same arguments) serving its operations through `OnceOperation`, with
    `SwaggerUIByPath` in place of connexion's Swagger UI middleware (unless `middlewares` is given) and a
    `RememberingJsonifier` (unless `jsonifier` is given)."""

    def __init__(self, import_name: str, **kwargs: Any) -> None:
        kwargs.setdefault("jsonifier", RememberingJsonifier())
        kwargs.setdefault(
            "middlewares",
            [
                SwaggerUIByPath if middleware is SwaggerUIMiddleware else middleware
                for middleware in ConnexionMiddleware.default_middlewares
            ],
        )
        # What `AsyncApp.__init__` does, with the ASGI app that makes `OnceOperation`s.
        self._middleware_app = OnceASGIApp()
        AbstractApp.__init__(self, import_name, **kwargs)
