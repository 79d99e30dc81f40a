"""A plain-text progress bar on stderr for long CLI work: redrawn in place on a terminal, one
summary line otherwise (logs stay readable)."""

from __future__ import annotations

import sys
import time
from typing import Iterable, TypeVar

T = TypeVar("T")
WIDTH = 30


def progress(items: Iterable[T], label: str, total: int | None = None, stream=None) -> Iterable[T]:
    stream = stream or sys.stderr
    items = list(items) if total is None else items
    total = len(items) if total is None else total
    tty, started = stream.isatty(), time.perf_counter()
    start = "\r" if tty else ""

    def draw(done: int, end: str) -> None:
        filled = WIDTH * done // max(total, 1)
        stream.write(f"{start}{label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} "
                     f"{time.perf_counter() - started:.1f}s{end}")
        stream.flush()

    done = 0
    for done, item in enumerate(items, 1):
        if tty:
            draw(done - 1, "")
        yield item
    draw(done, "\n")
