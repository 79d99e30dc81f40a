"""`pyapp serve` in a child process on a free loopback port, for tests, benchmarks and tools.

Tests can ask for a server that stalls downloads (`serving(stall={glob: times})`): then the child
is `python -m pyapp.server.local`, the app wrapped in StallForTests, which `pyapp serve` never uses.
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
def serving(timeout_s: float = 30, stall: dict[str, int] | None = None, args: tuple[str, ...] = ()) -> Iterator[str]:
    """Yields the server's base URL once it answers; stops it on exit. args: more `pyapp serve`
    arguments (e.g. --models DIR); not with stall."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if stall:
        command = [sys.executable, "-m", "pyapp.server.local", "--port", str(port)]
        command += [arg for glob, times in stall.items() for arg in ("--stall", glob, str(times))]
    else:
        command = [sys.executable, "-m", "pyapp", "serve", "--port", str(port), "--log-level", "warning", *args]
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
    """The test server: `pyapp serve`'s app on 127.0.0.1, stalling the paths given."""
    import uvicorn

    from .app import create_app

    parser = argparse.ArgumentParser(prog="python -m pyapp.server.local", description=main.__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--stall", nargs=2, action="append", default=[], metavar=("GLOB", "TIMES"),
                        help="stall the first TIMES GETs of each URL path matching GLOB")
    args = parser.parse_args()
    app = StallForTests(create_app(), {glob: int(times) for glob, times in args.stall})
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
