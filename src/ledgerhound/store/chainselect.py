"""The main chain over every block header a store holds: the most cumulative work wins.

This is the rule a clean ingest of Core's blk files applies (``sources.blkfiles``), applied
again by the store over the union of what every run brought, so that blocks whose parents came
in a later run are numbered as one clean ingest would number them. Ties at equal work go to the
tip already recorded on the main chain (a source's own first-seen verdict), then to the first in
store order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ledgerhound.codecs.chainwork import block_work

GENESIS_PREV = "00" * 32


@dataclass
class Headers:
    """Block headers in store order, with the height and main-chain flag recorded for each."""

    hashes: list[str]
    prevs: list[str]
    bits: list[int]
    heights: list[int | None]
    main: list[bool]


def main_chain(
    h: Headers, root_height: Callable[[int], int | None]
) -> tuple[list[int | None], list[bool]]:
    """(height, in_main_chain) of every header under the most-work rule.

    ``root_height(i)`` gives the height of a block whose parent is unknown when it has none
    recorded (the BIP34 height in its coinbase); a tree whose root cannot be numbered is never
    chosen. Blocks off the chosen chain lose their height unless they were stale already (a
    source's height for a known stale block is kept).
    """
    index = {x: i for i, x in enumerate(h.hashes)}
    children: dict[int, list[int]] = defaultdict(list)
    roots = []
    for i, prev in enumerate(h.prevs):
        parent = index.get(prev)
        if parent is None or parent == i:
            roots.append(i)
        else:
            children[parent].append(i)
    work, root_of = _chainwork(h, roots, children)
    best = _best_tip(h, work, root_of, root_height)
    heights: list[int | None] = [x if not m else None for x, m in zip(h.heights, h.main,
                                                                       strict=True)]  # fmt: skip
    main = [False] * len(h.hashes)
    if best is None:
        return list(h.heights), list(h.main)
    path = [best]
    while path[-1] != root_of[best]:
        path.append(index[h.prevs[path[-1]]])
    base = _root_number(h, root_of[best], root_height)
    for depth, i in enumerate(reversed(path)):
        heights[i], main[i] = base + depth, True
    return heights, main


def _chainwork(h: Headers, roots: list[int], children: dict[int, list[int]]):
    """Cumulative work of every block reachable from a root, and the root it grows from."""
    per_bits: dict[int, int] = {}
    work = [-1] * len(h.hashes)
    root_of = [-1] * len(h.hashes)
    for root in roots:
        stack = [(root, 0)]
        while stack:
            i, parent_work = stack.pop()
            bits = h.bits[i]
            if bits not in per_bits:
                per_bits[bits] = block_work(bits)
            work[i] = parent_work + per_bits[bits]
            root_of[i] = root
            stack += [(c, work[i]) for c in children.get(i, ())]
    return work, root_of


def _best_tip(h: Headers, work: list[int], root_of: list[int], root_height) -> int | None:
    ranked = sorted((i for i in range(len(work)) if work[i] >= 0),
                    key=lambda i: (-work[i], not h.main[i], i))  # fmt: skip
    numbered: dict[int, bool] = {}
    for i in ranked:
        root = root_of[i]
        if root not in numbered:
            numbered[root] = _root_number(h, root, root_height) is not None
        if numbered[root]:
            return i
    return None


def _root_number(h: Headers, root: int, root_height) -> int | None:
    if h.heights[root] is not None:
        return h.heights[root]
    if h.prevs[root] == GENESIS_PREV:
        return 0
    return root_height(root)
