"""Union-find: compiled and reference agree, match an independent BFS, guard holds big merges."""

from __future__ import annotations

from collections import defaultdict, deque

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerhound.cluster import unionfind
from ledgerhound.cluster.unionfind import UnionFind


def bfs_labels(n: int, edges: list[tuple[int, int]]) -> list[int]:
    graph = defaultdict(list)
    for u, v in edges:
        graph[u].append(v)
        graph[v].append(u)
    label = [-1] * n
    for start in range(n):
        if label[start] >= 0:
            continue
        label[start] = start  # ascending start => smallest id of the component
        queue = deque([start])
        while queue:
            x = queue.popleft()
            for y in graph[x]:
                if label[y] < 0:
                    label[y] = start
                    queue.append(y)
    return label


edge_lists = st.integers(1, 60).flatmap(
    lambda n: st.tuples(
        st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=120)
    )
)


@given(edge_lists)
@settings(max_examples=200, deadline=None)
def test_labels_equal_connected_components(case):
    n, edges = case
    uf = UnionFind.singletons(n)
    src = np.array([u for u, _ in edges], dtype=np.int32)
    dst = np.array([v for _, v in edges], dtype=np.int32)
    assert uf.unite(src, dst).size == 0
    assert uf.labels().tolist() == bfs_labels(n, edges)


@given(edge_lists, st.integers(0, 120))
@settings(max_examples=100, deadline=None)
def test_incremental_equals_full_build(case, cut):
    n, edges = case
    src = np.array([u for u, _ in edges], dtype=np.int32)
    dst = np.array([v for _, v in edges], dtype=np.int32)
    full = UnionFind.singletons(n)
    full.unite(src, dst, guard=3)
    part = UnionFind.singletons(n)
    part.unite(src[:cut], dst[:cut], guard=3)
    part.unite(src[cut:], dst[cut:], guard=3)
    assert part.labels().tolist() == full.labels().tolist()


@pytest.mark.skipif(not unionfind.NATIVE, reason="compiled union-find not built")
@given(edge_lists, st.integers(0, 5))
@settings(max_examples=100, deadline=None)
def test_native_matches_reference(case, guard):
    n, edges = case
    src = np.array([u for u, _ in edges], dtype=np.int32)
    dst = np.array([v for _, v in edges], dtype=np.int32)
    native = UnionFind.singletons(n)
    held_native = native.unite(src, dst, guard)
    ref_parent, ref_size = np.arange(n, dtype=np.int32), np.ones(n, dtype=np.int32)
    held_ref = unionfind._unite_py(ref_parent, ref_size, src, dst, guard)
    assert held_native.tolist() == held_ref
    assert native.parent.tolist() == ref_parent.tolist()


def test_collapse_guard_holds_merge_of_two_large_clusters():
    uf = UnionFind.singletons(10)
    # two clusters of 4, then an edge joining them, then a small join
    src = np.array([0, 0, 0, 4, 4, 4, 3, 8], dtype=np.int32)
    dst = np.array([1, 2, 3, 5, 6, 7, 7, 9], dtype=np.int32)
    held = uf.unite(src, dst, guard=4)
    assert held.tolist() == [6]
    assert uf.labels().tolist() == [0, 0, 0, 0, 4, 4, 4, 4, 8, 8]


def test_out_of_range_edge_is_an_error():
    uf = UnionFind.singletons(3)
    with pytest.raises(IndexError, match="outside 0..2"):
        uf.unite(np.array([0], dtype=np.int32), np.array([3], dtype=np.int32))
