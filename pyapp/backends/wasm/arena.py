"""One float32 arena for every tensor of a run, its offsets planned from tensor lifetimes: two tensors
share bytes only if no step needs both. Greedy, largest first, lowest offset that fits."""

from __future__ import annotations

from dataclasses import dataclass

ALIGN = 4  # floats: 16 bytes, one v128


@dataclass(frozen=True)
class Block:
    size: int  # floats
    first: int  # step that writes it first (-1: written before the steps, an input)
    last: int  # step that reads it last


def plan_offsets(blocks: dict) -> tuple[dict, int]:
    """{key: Block} -> ({key: offset in floats}, arena size in floats)."""
    placed: list[tuple[int, int, Block]] = []  # (offset, end, block)
    offsets = {}
    for key, block in sorted(blocks.items(), key=lambda kv: (-kv[1].size, kv[1].first)):
        size = -(-block.size // ALIGN) * ALIGN
        busy = sorted((start, end) for start, end, other in placed if other.first <= block.last and block.first <= other.last)
        offset = 0
        for start, end in busy:
            if offset + size <= start:
                break
            offset = max(offset, end)
        offsets[key] = offset
        placed.append((offset, offset + size, block))
    return offsets, max((end for _, end, _ in placed), default=0)
