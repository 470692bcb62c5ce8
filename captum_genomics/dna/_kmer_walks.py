"""The k-let shuffle's graphs, random streams and walks (private).

The algorithm and its randomness are described in :mod:`captum_genomics.dna.shuffle`, which
decodes the one-hot input to letter codes, calls :func:`walk_keys`, :class:`KmerGraph`,
:func:`single_arrangement` and :func:`shuffle_letters`, and encodes the result.
"""

from __future__ import annotations

import numpy as np

from captum_genomics.dna.alphabet import LETTERS

_N_LETTERS = len(LETTERS)  # A, C, G, T, N
_CHUNK_VALUES = 1 << 19  # random numbers drawn per block of Euler-walk steps
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # SplitMix64 increment
_STREAM_WILSON = np.uint64(0x243F6A8885A308D3)  # separate the two streams of a walk
_STREAM_EULER = np.uint64(0x13198A2E03707344)
_DENSE_LIMIT = 1 << 20  # largest sequence count x 5**(k-1) handled with a dense vertex table
_SEEK, _WALK, _RETRACE, _DONE = 0, 1, 2, 3  # Wilson walk phases


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's output function (a bijection of uint64), in place; returns ``z``."""
    with np.errstate(over="ignore"):
        z ^= z >> np.uint64(30)
        z *= np.uint64(0xBF58476D1CE4E5B9)
        z ^= z >> np.uint64(27)
        z *= np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z


def _uniforms(key: np.ndarray, counter: np.ndarray) -> np.ndarray:
    """Doubles in [0, 1): element ``counter`` of the SplitMix64 stream started at ``key``.

    ``key`` and ``counter`` are uint64 arrays that broadcast together.
    """
    with np.errstate(over="ignore"):
        z = _mix(key + (counter + np.uint64(1)) * _GOLDEN)
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def walk_keys(letters: np.ndarray, n: int, seed_key: np.uint64) -> np.ndarray:
    """Stream key of each walk: a hash of (seed, the sequence's letters, shuffle index).

    Parameters
    ----------
    letters : numpy.ndarray, shape (N, L), uint8
    n : int
        Shuffles per sequence.
    seed_key : numpy.uint64

    Returns
    -------
    numpy.ndarray, shape (N, n), uint64
    """
    n_seq, length = letters.shape
    seq_key = np.full(n_seq, seed_key ^ np.uint64(length), dtype=np.uint64)
    block = max(1, _CHUNK_VALUES // max(n_seq, 1))
    with np.errstate(over="ignore"):
        for lo in range(0, length, block):
            position = np.arange(lo, min(lo + block, length), dtype=np.uint64)
            token = position * np.uint64(_N_LETTERS) + letters[:, lo : lo + block]
            seq_key += _mix(seed_key + (token + np.uint64(1)) * _GOLDEN).sum(
                axis=1, dtype=np.uint64
            )
        shuffle = np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0xD1B54A32D192ED03)
        return _mix(_mix(seq_key)[:, None] + shuffle)


class KmerGraph:
    """(k-1)-mer multigraphs of a batch, with global vertex ids and exits grouped by source.

    A vertex is *forced* when all its non-loop exits lead to one vertex (and it is not the
    root): every arborescence uses that edge, so Wilson's walks run on the other, *branch*
    vertices, and a step into a forced vertex jumps along its forced chain at once.

    Parameters
    ----------
    letters : numpy.ndarray, shape (N, L), uint8
        Letter codes, L >= k.
    k : int
        k-let length, at least 2.

    Attributes
    ----------
    n_vertices : int
        Vertices of all sequences together; sequence b owns ids
        ``vertex_offset[b]:vertex_offset[b + 1]``.
    first, root : numpy.ndarray, shape (N,)
        Vertex of the first and of the last (k-1)-mer of each sequence.
    src, dst : numpy.ndarray, shape (N * (L - k + 1),)
        Edge (k-let instance) end points in sequence order.
    last_letter : numpy.ndarray, shape (n_vertices,), uint8
        Last letter of each vertex's (k-1)-mer: the letter written on entering it.
    slot_dst : numpy.ndarray, shape (N * (L - k + 1),)
        Edge heads grouped by tail: vertex v's exits are the slots
        ``slot_start[v]:slot_start[v] + degree[v]``; its ``n_moves[v]`` *moves* (exits that
        neither loop nor lead back to v through forced vertices) come last, in sequence
        order, so the last slot holds the sequence's own last exit from v.
    degree, n_moves : numpy.ndarray, shape (n_vertices,)
        Exits and moves of each vertex.
    jump : numpy.ndarray, shape (n_vertices,)
        First non-forced vertex on the forced chain from each vertex (itself if not forced).
    is_root, forced : numpy.ndarray, shape (n_vertices,), bool
        Whether the vertex is its sequence's last (k-1)-mer; whether it is forced.
    owner : numpy.ndarray, shape (n_vertices,)
        Sequence of each vertex.
    branch, branch_offset : numpy.ndarray
        Branch vertices, sequence by sequence, latest last exit first (Wilson's walks start
        from them in this order, so most end after a step); sequence b's are
        ``branch[branch_offset[b]:branch_offset[b + 1]]``.
    """

    def __init__(self, letters: np.ndarray, k: int) -> None:
        n_seq, length = letters.shape
        width = k - 1
        n_windows = length - width + 1
        vertex = self._vertex_ids(letters, width, n_windows)
        n_v = self.n_vertices = int(vertex.max()) + 1
        self.first = vertex[:, 0].copy()
        self.root = vertex[:, -1].copy()
        # Ids are numbered sequence by sequence, so each sequence owns a contiguous range.
        self.vertex_offset = np.concatenate(([0], vertex.max(axis=1) + 1))
        self.owner = np.repeat(np.arange(n_seq), np.diff(self.vertex_offset))
        src = self.src = vertex[:, :-1].ravel()
        dst = self.dst = vertex[:, 1:].ravel()
        self.last_letter = np.empty(n_v, dtype=np.uint8)
        self.last_letter[vertex.ravel()] = letters[:, width - 1 :].ravel()
        self.is_root = np.zeros(n_v, dtype=bool)
        self.is_root[self.root] = True
        # Forced vertices: one distinct non-loop head (the head is fixed by the letter added).
        leaves = src != dst
        seen = np.zeros(n_v * _N_LETTERS, dtype=bool)
        seen[src[leaves] * _N_LETTERS + self.last_letter[dst[leaves]]] = True
        self.forced = (seen.reshape(n_v, _N_LETTERS).sum(axis=1) == 1) & ~self.is_root
        follow = np.arange(n_v)
        step = leaves & self.forced[src]
        follow[src[step]] = dst[step]  # all such edges of a vertex share their head
        # Forced chains end at a branch vertex or a root (a forced cycle could not reach
        # the root), so pointer doubling reaches a fixed point.
        self.jump = follow
        while True:
            further = self.jump[self.jump]
            if np.array_equal(further, self.jump):
                break
            self.jump = further
        move = leaves & (self.jump[dst] != src)
        self.degree = np.bincount(src, minlength=n_v)
        self.n_moves = np.bincount(src[move], minlength=n_v)
        self.slot_start = np.cumsum(self.degree) - self.degree
        key = (2 * src + move).astype(np.min_scalar_type(2 * n_v))
        slot_edge = np.argsort(key, kind="stable")
        self.slot_dst = dst[slot_edge]
        branch = np.flatnonzero(~self.forced & ~self.is_root)
        last_exit = slot_edge[self.slot_start[branch] + self.degree[branch] - 1]
        self.branch = branch[np.lexsort((-last_exit, self.owner[branch]))]
        self.branch_offset = np.searchsorted(self.owner[self.branch], np.arange(n_seq + 1))

    @staticmethod
    def _vertex_ids(letters: np.ndarray, width: int, n_windows: int) -> np.ndarray:
        """Global vertex id of every (k-1)-mer window, shape (N, n_windows), numbered by
        sequence, then by (k-1)-mer."""
        n_seq = letters.shape[0]
        chunk = 26  # 5**26 < 2**63
        codes = []
        for lo in range(0, width, chunk):
            code = np.zeros((n_seq, n_windows), dtype=np.int64)
            for i in range(lo, min(lo + chunk, width)):
                code *= _N_LETTERS
                code += letters[:, i : i + n_windows]
            codes.append(code)
        seq = np.arange(n_seq, dtype=np.int64)[:, None]
        if len(codes) == 1 and n_seq * _N_LETTERS**width <= _DENSE_LIMIT:
            dense = (seq * _N_LETTERS**width + codes[0]).ravel()
            present = np.zeros(n_seq * _N_LETTERS**width, dtype=bool)
            present[dense] = True
            rank = np.cumsum(present) - 1
            return rank[dense].reshape(n_seq, n_windows)
        rows = np.stack([np.broadcast_to(seq, codes[0].shape), *codes], axis=-1)
        _, inverse = np.unique(rows.reshape(-1, rows.shape[-1]), axis=0, return_inverse=True)
        return inverse.reshape(n_seq, n_windows)


def single_arrangement(g: KmerGraph) -> np.ndarray:
    """Which sequences are the only sequence with their k-let counts and end letters.

    Parameters
    ----------
    g : KmerGraph
        Graphs of the batch (k >= 2).

    Returns
    -------
    numpy.ndarray, shape (N,), bool

    Notes
    -----
    With T the sequence's own last-exit arborescence, the arrangements correspond one to one
    to (arborescence, order of every vertex's non-last exits) pairs (Kandel et al. 1996), so
    there is one arrangement iff (a) at every vertex the exits other than its tree edge all
    lead to one vertex, and (b) T is the only arborescence. Given (a), (b) fails iff some
    vertex v has a non-tree, non-loop exit to a vertex c outside v's subtree (replacing v's
    tree edge by v -> c then gives another arborescence, and any other arborescence implies
    such a swap exists), which binary lifting on T decides.
    """
    n_v = g.n_vertices
    vertex = np.arange(n_v)
    tree = ~g.is_root  # every other vertex has an exit
    # The sequence's last exit from a vertex is a move, and moves sit last in sequence order.
    parent = vertex.copy()
    parent[tree] = g.slot_dst[(g.slot_start + g.degree - 1)[tree]]
    # Exits per (vertex, letter written): the pair determines the head.
    pair = g.src * _N_LETTERS + g.last_letter[g.dst]
    others = np.bincount(pair, minlength=n_v * _N_LETTERS).reshape(n_v, _N_LETTERS)
    head = np.full(n_v * _N_LETTERS, -1, dtype=np.int64)
    head[pair] = g.dst
    others[tree, g.last_letter[parent[tree]]] -= 1
    distinct = (others > 0).sum(axis=1)
    # Vertices whose other exits all lead to one vertex c, not a loop and not the tree edge.
    c = head[vertex * _N_LETTERS + (others > 0).argmax(axis=1)]
    query = np.flatnonzero((distinct == 1) & (c != vertex) & (c != parent) & tree)
    ambiguous = distinct > 1
    ambiguous[query] = ~_is_ancestor(parent, query, c[query])
    per_seq = np.zeros(g.first.size, dtype=bool)
    per_seq[g.owner[ambiguous]] = True
    return ~per_seq


def _is_ancestor(parent: np.ndarray, anc: np.ndarray, node: np.ndarray) -> np.ndarray:
    """Whether ``anc[i]`` lies on the path from ``node[i]`` to its root.

    Parameters
    ----------
    parent : numpy.ndarray, shape (V,)
        Forest as parent pointers; roots point to themselves.
    anc, node : numpy.ndarray, shape (Q,)
        Vertex pairs to test.

    Returns
    -------
    numpy.ndarray, shape (Q,), bool
    """
    # Pointer jumping: jumps[j] = parent applied 2**j times; depth = steps to the root.
    depth = (parent != np.arange(parent.size)).astype(np.int64)
    jumps = [parent]
    while (jumps[-1] != jumps[-1][jumps[-1]]).any():
        up = jumps[-1]
        depth = depth + depth[up]
        jumps.append(up[up])
    gap = depth[node] - depth[anc]
    at = node.copy()
    for j, up in enumerate(jumps):
        bit = ((np.maximum(gap, 0) >> j) & 1).astype(bool)
        at[bit] = up[at[bit]]
    return (gap >= 0) & (at == anc)


def shuffle_letters(
    letters: np.ndarray,
    k: int,
    keys: np.ndarray,
    out: np.ndarray,
    graph: KmerGraph | None = None,
) -> None:
    """Uniform k-let shuffles of letter codes.

    Parameters
    ----------
    letters : numpy.ndarray, shape (N, L), uint8
        Letter codes 0-4, L >= k.
    k : int
        k-let length.
    keys : numpy.ndarray, shape (N, n), uint64
        Stream key of each walk, from :func:`walk_keys`.
    out : numpy.ndarray, shape (N, n, L), uint8
        Receives the n shuffles of each sequence.
    graph : KmerGraph, optional
        ``KmerGraph(letters, k)`` when already built (k >= 2).
    """
    n_seq, n, length = out.shape
    keys = keys.ravel()
    if k == 1:
        _permute(letters, keys, out.reshape(n_seq * n, length))
        return
    g = KmerGraph(letters, k) if graph is None else graph
    out[:, :, : k - 1] = letters[:, None, : k - 1]
    walks = out.reshape(n_seq * n, length)[:, k - 1 :]
    _euler_walks(g, _last_exits(g, n, keys ^ _STREAM_WILSON), n, keys ^ _STREAM_EULER, walks)


def _permute(letters: np.ndarray, keys: np.ndarray, out: np.ndarray) -> None:
    """Uniform permutations (k = 1): sort each walk's letters by its own uniforms.

    Parameters
    ----------
    letters : numpy.ndarray, shape (N, L), uint8
    keys : numpy.ndarray, shape (N * n,), uint64
        Walk ``b * n + r`` permutes sequence b.
    out : numpy.ndarray, shape (N * n, L), uint8
    """
    n_walks, length = out.shape
    per_seq = n_walks // letters.shape[0]
    position = np.arange(length, dtype=np.uint64)
    block = max(1, _CHUNK_VALUES // length)
    for lo in range(0, n_walks, block):
        hi = min(lo + block, n_walks)
        order = np.argsort(_uniforms(keys[lo:hi, None], position), axis=1)
        source = letters[np.arange(lo, hi) // per_seq]
        out[lo:hi] = np.take_along_axis(source, order, axis=1)


def _walk_layout(g: KmerGraph, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sequence and state offset of each walk; walk ``b * n + r`` is shuffle r of sequence b.

    Parameters
    ----------
    g : KmerGraph
    n : int
        Shuffles per sequence.

    Returns
    -------
    seq, base : numpy.ndarray, shape (N * n,)
        Sequence of the walk, and ``r * n_vertices``: vertex v of the walk's own copy of the
        graph state is ``base + v``.
    """
    n_seq = g.first.size
    return np.repeat(np.arange(n_seq), n), np.tile(np.arange(n) * g.n_vertices, n_seq)


def _last_exits(g: KmerGraph, n: int, keys: np.ndarray) -> np.ndarray:
    """Wilson's algorithm: a uniform random last-exit arborescence for each walk.

    Parameters
    ----------
    g : KmerGraph
    n : int
        Shuffles per sequence.
    keys : numpy.ndarray, shape (N * n,), uint64
        Stream key of each walk.

    Returns
    -------
    numpy.ndarray, shape (n * n_vertices,)
        For state ``r * n_vertices + v`` (v not a root): the slot of v's tree edge in copy r;
        -1 at roots.
    """
    n_v = g.n_vertices
    seq, base = _walk_layout(g, n)
    in_tree = np.zeros(n * n_v, dtype=bool)
    in_tree[base + g.root[seq]] = True
    first_move = g.slot_start + g.degree - g.n_moves
    # A forced vertex's moves all lead to the same vertex: any of them is its tree edge.
    exit_slot = np.tile(np.where(g.is_root, -1, g.slot_start + g.degree - 1), n)
    nxt = g.branch_offset[seq]  # next branch vertex (index into g.branch) to walk from
    stop = g.branch_offset[seq + 1]
    start = np.zeros_like(base)
    cur = np.zeros_like(base)
    phase = np.full(base.size, _SEEK, dtype=np.int8)
    drawn = np.zeros(base.size, dtype=np.uint64)  # uniforms used by each walk so far
    while base.size:
        i = np.flatnonzero(phase == _RETRACE)
        if i.size:
            here = cur[i]
            in_tree[here] = True
            ahead = base[i] + g.jump[g.slot_dst[exit_slot[here]]]
            cur[i] = ahead
            phase[i[in_tree[ahead]]] = _SEEK
        i = np.flatnonzero(phase == _SEEK)
        while i.size:
            over = nxt[i] >= stop[i]
            phase[i[over]] = _DONE
            i = i[~over]
            state = base[i] + g.branch[nxt[i]]
            placed = in_tree[state]
            begin = i[~placed]
            phase[begin] = _WALK
            start[begin] = cur[begin] = state[~placed]
            i = i[placed]
            nxt[i] += 1
        i = np.flatnonzero(phase == _WALK)
        if i.size:
            here = cur[i]
            v = here - base[i]
            u = _uniforms(keys[i], drawn[i])
            drawn[i] += np.uint64(1)
            slot = first_move[v] + (u * g.n_moves[v]).astype(np.intp)
            exit_slot[here] = slot  # overwriting erases loops
            ahead = base[i] + g.jump[g.slot_dst[slot]]
            hit = in_tree[ahead]
            cur[i] = np.where(hit, start[i], ahead)
            phase[i[hit]] = _RETRACE
        live = phase != _DONE
        if not live.all():
            base, nxt, stop, start, cur, phase, keys, drawn = (
                a[live] for a in (base, nxt, stop, start, cur, phase, keys, drawn)
            )
    return exit_slot


def _euler_walks(
    g: KmerGraph, exit_slot: np.ndarray, n: int, keys: np.ndarray, out: np.ndarray
) -> None:
    """Walk every copy of the graph from its first vertex, leaving by uniformly ordered exits.

    Parameters
    ----------
    g : KmerGraph
    exit_slot : numpy.ndarray, shape (n * n_vertices,)
        Tree edge of each state, from :func:`_last_exits`.
    n : int
        Shuffles per sequence.
    keys : numpy.ndarray, shape (N * n,), uint64
        Stream key of each walk.
    out : numpy.ndarray, shape (N * n, L - k + 1), uint8
        Receives the letter written at each step of each walk (walk ``b * n + r``).
    """
    n_v, n_e = g.n_vertices, g.slot_dst.size
    seq, base = _walk_layout(g, n)
    # Slots hold heads as ids local to their sequence: small ints keep the table in cache.
    local = g.slot_dst - g.vertex_offset[g.owner[g.slot_dst]]
    slots = np.tile(local.astype(np.min_scalar_type(int(local.max()))), n)
    slot_base = np.repeat(np.arange(n) * n_e, n_v)
    ptr = slot_base + np.tile(g.slot_start, n)  # next unused exit of each state
    degree = np.tile(g.degree, n)
    tree = exit_slot >= 0
    # Move each tree edge to the end of its vertex's exits; the exits before it are drawn
    # uniformly at each visit (lazy Fisher-Yates), so the tree edge is left for last.
    a = slot_base[tree] + exit_slot[tree]
    b = ptr[tree] + degree[tree] - 1
    slots[a], slots[b] = slots[b], slots[a]
    end = ptr + degree - tree  # ptr == end: only the tree edge is left
    first_vertex = g.vertex_offset[seq]
    walk_zero = base + first_vertex  # state of local vertex 0 of each walk
    cur = base + g.first[seq]
    n_steps = out.shape[1]
    chunk = min(n_steps, max(16, _CHUNK_VALUES // base.size))
    heads = np.empty((chunk, base.size), dtype=slots.dtype)
    for lo in range(0, n_steps, chunk):
        step = np.arange(lo, min(lo + chunk, n_steps), dtype=np.uint64)
        u = _uniforms(keys, step[:, None])
        for t, u_t in enumerate(u):
            p = ptr[cur]
            j = (u_t * (end[cur] - p)).astype(np.intp)
            j += p
            ptr[cur] = p + 1
            head = heads[t] = slots[j]
            slots[j] = slots[p]
            cur = walk_zero + head
        # Write the chunk as letters: the last letter of each vertex entered.
        out[:, lo : lo + len(u)] = g.last_letter[heads[: len(u)] + first_vertex].T
