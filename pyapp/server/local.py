"""The server in a child process on a free loopback port, for tests, benchmarks and tools.

By default the child is the test server, `python -m pyapp.server.local`: `pyapp serve`'s app with its
test hooks on (the worker answers run_python; the pages allow JS eval, which Playwright's
wait_for_function needs), stalling the downloads a test asks for (`serving(stall={glob: times})`).
`serving(production=True)` runs `pyapp serve` itself, as `make run` does.
"""

from __future__ import annotations

import argparse
import fnmatch
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from typing import Iterator

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import PyappError


class StallForTests:
    """The first `times` GETs of each path matching a glob get their headers and half their body,
    then nothing more until the client gives up (a download that stalls mid-body)."""

    def __init__(self, app: ASGIApp, stall: dict[str, int]):
        self.app, self.stall, self.seen = app, stall, Counter()

    def times(self, path: str) -> int:
        return max((n for glob, n in self.stall.items() if fnmatch.fnmatchcase(path, glob)), default=0)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or self.seen[path] >= self.times(path):
            return await self.app(scope, receive, send)
        self.seen[path] += 1

        async def send_half(message: Message) -> None:
            if message["type"] != "http.response.body":
                return await send(message)
            body = message.get("body", b"")
            await send({"type": "http.response.body", "body": body[:len(body) // 2], "more_body": True})
            while (await receive())["type"] != "http.disconnect":
                pass
            raise ConnectionAbortedError  # the client hung up: the rest is never sent

        try:
            await self.app(scope, receive, send_half)
        except ConnectionAbortedError:
            pass


@contextmanager
def serving(timeout_s: float = 30, stall: dict[str, int] | None = None, production: bool = False,
            args: tuple[str, ...] = ()) -> Iterator[str]:
    """Yields the server's base URL once it answers; stops it on exit. args: more server arguments
    (e.g. --models DIR), which both servers take."""
    if production and stall:
        raise PyappError("`pyapp serve` cannot stall downloads: that is the test server's job")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if production:
        command = [sys.executable, "-m", "pyapp", "serve", "--port", str(port), "--log-level", "warning", *args]
    else:
        command = [sys.executable, "-m", "pyapp.server.local", "--port", str(port), *args]
        command += [arg for glob, times in (stall or {}).items() for arg in ("--stall", glob, str(times))]
    server = subprocess.Popen(command)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                urllib.request.urlopen(url + "/api/config", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise PyappError("`pyapp serve` did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    """The test server: `pyapp serve`'s app with its test hooks on, on 127.0.0.1, stalling the paths given."""
    import uvicorn

    from .app import create_app

    parser = argparse.ArgumentParser(prog="python -m pyapp.server.local", description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stall", nargs=2, action="append", default=[], metavar=("GLOB", "TIMES"),
                        help="stall the first TIMES GETs of each URL path matching GLOB")
    parser.add_argument("--models", action="append", default=[], metavar="DIR", help="as `pyapp serve --models`")
    args = parser.parse_args()
    app = StallForTests(create_app(model_dirs=args.models, for_tests=True),
                        {glob: int(times) for glob, times in args.stall})
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
