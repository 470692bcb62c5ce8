"""Vectorised variation operators and repair on :class:`~.population.Population` arrays.

Every operator takes a :class:`numpy.random.Generator` and draws the same numbers for the same
input, so runs are reproducible by seed.  Operators may break constraints; :func:`repair` restores
them before evaluation.
"""

from __future__ import annotations

import numpy as np

from .grammar import SearchSpace
from .population import Population

_FIELDS = ("kind", "pos", "ref_len", "alt_len", "alt")


def sample_units(
    space: SearchSpace,
    m: int,
    rng: np.random.Generator,
    kinds: np.ndarray | None = None,
    positions: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """Draw ``m`` fresh units.

    Parameters
    ----------
    space : SearchSpace
        Grammar bound to the reference.
    m : int
        Number of units.
    rng : numpy.random.Generator
        Source of randomness.
    kinds : numpy.ndarray, optional
        ``(m,)`` kind codes; drawn from the kind weights when omitted.
    positions : numpy.ndarray, optional
        ``(m,)`` positions; when omitted, drawn uniformly among allowed positions, or among
        the kind's sites for kinds tied to sites (:meth:`UnitKind.positions`).

    Returns
    -------
    tuple of numpy.ndarray
        ``kind (m,)``, ``pos (m,)``, ``ref_len (m,)``, ``alt_len (m,)``, ``alt (m, S)``.
    """
    grammar = space.grammar
    if kinds is None:
        kinds = rng.choice(len(grammar.kinds), size=m, p=space.kind_probs).astype(np.int8)
    if positions is None:
        positions = rng.choice(space.allowed_positions, size=m)
        for code, sites in enumerate(space.kind_positions):
            idx = np.flatnonzero(kinds == code)
            if sites is not None and idx.size:
                if sites.size == 0:
                    raise ValueError(
                        f"unit kind {grammar.kinds[code].name!r} has no admissible site here"
                    )
                positions[idx] = rng.choice(sites, size=idx.size)
    positions = np.asarray(positions, dtype=np.int64)
    ref_len = np.zeros(m, np.int32)
    alt_len = np.zeros(m, np.int32)
    alt = np.zeros((m, space.alt_width), np.uint8)
    for code, kind in enumerate(grammar.kinds):
        idx = np.flatnonzero(kinds == code)
        if idx.size == 0:
            continue
        drawn = kind.draw(space, positions[idx], rng)
        if (
            np.shape(drawn.ref_len) != (idx.size,)
            or np.shape(drawn.alt_len) != (idx.size,)
            or np.shape(drawn.alt) != (idx.size, space.alt_width)
        ):
            raise ValueError(
                f"unit kind {kind.name!r} drew arrays of the wrong shape; draw() must return "
                f"ref_len ({idx.size},), alt_len ({idx.size},) and alt ({idx.size}, "
                f"{space.alt_width})"
            )
        if (np.asarray(drawn.alt_len) > space.alt_width).any():
            raise ValueError(
                f"unit kind {kind.name!r} wrote more bases than its max_alt_length declares"
            )
        ref_len[idx] = drawn.ref_len
        alt_len[idx] = drawn.alt_len
        alt[idx] = drawn.alt
    return kinds.astype(np.int8), positions, ref_len, alt_len, alt


def _raw_random(space: SearchSpace, n: int, rng: np.random.Generator) -> Population:
    """``n`` unrepaired individuals of 1..max_units fresh units."""
    u = space.grammar.max_units
    pop = Population.empty(n, u, space.alt_width)
    counts = rng.integers(1, u + 1, size=n)
    slots = np.arange(u)[None, :] < counts[:, None]
    for name, values in zip(_FIELDS, sample_units(space, int(counts.sum()), rng)):
        getattr(pop, name)[slots] = values
    return pop


def _set_units(pop: Population, rows: np.ndarray, slots: np.ndarray, units) -> None:
    for name, values in zip(_FIELDS, units):
        getattr(pop, name)[rows, slots] = values


def _noop(space: SearchSpace, pop: Population) -> np.ndarray:
    """``(n, U)`` True where a unit leaves the reference unchanged."""
    same = pop.valid & (pop.ref_len == pop.alt_len)
    ref = space.reference
    for k in range(pop.alt.shape[2]):
        at = np.clip(pop.pos + k, 0, ref.size - 1)
        same &= (pop.ref_len <= k) | (pop.alt[:, :, k] == ref[at])
    return same


def _clear(pop: Population, mask: np.ndarray) -> None:
    pop.kind[mask] = -1
    pop.pos[mask] = 0
    pop.ref_len[mask] = 0
    pop.alt_len[mask] = 0
    pop.alt[mask] = 0


def _clean(
    space: SearchSpace, pop: Population, rng: np.random.Generator, rounds: int
) -> Population:
    """Repair without regenerating empty individuals."""
    pop = pop.copy()
    n, u = pop.kind.shape
    _clear(pop, ~pop.valid)
    widths = np.arange(pop.alt.shape[2])[None, None, :]
    pop.alt[widths >= pop.alt_len[:, :, None]] = 0
    for _ in range(rounds):
        _clear(pop, pop.valid & ~space.span_allowed(pop.pos, pop.ref_len))
        rows, slots = np.nonzero(_noop(space, pop))
        if rows.size == 0:
            break
        units = sample_units(space, rows.size, rng, pop.kind[rows, slots], pop.pos[rows, slots])
        _set_units(pop, rows, slots, units)
    _clear(pop, _noop(space, pop) | (pop.valid & ~space.span_allowed(pop.pos, pop.ref_len)))

    # overlaps: accept units longest first (then leftmost), skipping any that touch one accepted
    valid = pop.valid
    start = pop.pos
    end = pop.pos + np.maximum(pop.ref_len, 1)
    size = np.maximum(pop.ref_len, pop.alt_len).astype(np.int64)
    big = np.int64(space.length + 1)
    key = (~valid) * big * big + (size.max(initial=0) - size) * big + start
    order = np.argsort(key, axis=1, kind="stable")
    accepted = np.zeros((n, u), bool)
    rows = np.arange(n)
    for r in range(u):
        c = order[:, r]
        cs, ce = start[rows, c], end[rows, c]
        clash = (accepted & (start < ce[:, None]) & (cs[:, None] < end)).any(axis=1)
        accepted[rows, c] = valid[rows, c] & ~clash
    _clear(pop, ~accepted)

    order = np.argsort(np.where(accepted, pop.pos, big), axis=1, kind="stable")
    for name in _FIELDS:
        arr = getattr(pop, name)
        idx = order if arr.ndim == 2 else order[:, :, None]
        setattr(pop, name, np.take_along_axis(arr, idx, axis=1))
    return pop


def repair(
    space: SearchSpace, population: Population, rng: np.random.Generator, rounds: int = 8
) -> Population:
    """Restore every constraint, returning a canonical copy.

    In order: units outside the reference or touching a forbidden position are dropped; units that
    change nothing (e.g. an SNV to the reference base) are drawn again at the same position with
    the same kind, up to ``rounds`` times, then dropped; overlapping units are resolved keeping the
    longest (``max(ref_len, alt_len)``; ties keep the leftmost); units are sorted by position and
    packed left; individuals left without units are replaced by fresh random ones.

    Parameters
    ----------
    space : SearchSpace
        Grammar bound to the reference.
    population : Population
        ``n`` individuals, possibly invalid.
    rng : numpy.random.Generator
        Source of randomness.
    rounds : int
        Redraw attempts for no-op units.

    Returns
    -------
    Population
        ``n`` canonical individuals with 1..U units each.
    """
    out = _clean(space, population, rng, rounds)
    for _ in range(100):
        empty = np.flatnonzero(out.n_units == 0)
        if empty.size == 0:
            return out
        fresh = _clean(space, _raw_random(space, empty.size, rng), rng, rounds)
        for name in _FIELDS:
            getattr(out, name)[empty] = getattr(fresh, name)
    raise RuntimeError(
        "repair could not build valid individuals in 100 attempts; the grammar leaves almost no "
        "room (few allowed positions, or indels longer than the allowed stretches)"
    )


def random_population(space: SearchSpace, n: int, rng: np.random.Generator) -> Population:
    """``n`` fresh repaired individuals, each of ``1..max_units`` units (uniform count).

    Parameters
    ----------
    space : SearchSpace
        The grammar bound to a reference sequence.
    n : int
        Number of individuals.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Population
        ``n`` individuals that satisfy every constraint of ``space``.
    """
    return repair(space, _raw_random(space, n, rng), rng)


def tournament_select(
    fitness: np.ndarray, n: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Indices of ``n`` tournament winners.

    Parameters
    ----------
    fitness : numpy.ndarray
        ``(P,)`` fitness, higher is better.
    n : int
        Winners to pick.
    size : int
        Entrants per tournament, drawn with replacement; ties go to the first entrant.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        ``(n,)`` int64 indices into ``fitness``.
    """
    fitness = np.asarray(fitness, dtype=float)
    if fitness.size == 0:
        raise ValueError("cannot select from an empty population")
    entrants = rng.integers(0, fitness.size, size=(n, size))
    return entrants[np.arange(n), np.argmax(fitness[entrants], axis=1)]


def parsimony_rank(
    fitness: np.ndarray, population: Population, tolerance: float = 0.0
) -> np.ndarray:
    """Dense rank of each individual by fitness, ties broken by fewer units then fewer bases
    edited (0 = best); equal keys share a rank.

    Parameters
    ----------
    fitness : numpy.ndarray
        ``(P,)`` fitness, higher is better.
    population : Population
        The ``P`` individuals.
    tolerance : float
        Fitness is compared in cells of width ``tolerance * max |fitness|`` counted down from
        the best (0: exactly), so near-equal fitness counts as a tie.

    Returns
    -------
    numpy.ndarray
        ``(P,)`` int64 ranks; ``tournament_select(-rank, ...)`` selects with this order.
    """
    fitness = np.asarray(fitness, dtype=float)
    step = tolerance * float(np.abs(fitness).max(initial=0.0))
    if step > 0:  # cells of width ``step`` counted down from the best
        fitness = -np.floor((fitness.max() - fitness) / step)
    edited = np.where(population.valid, np.maximum(population.ref_len, population.alt_len), 0)
    return dense_rank(-fitness, population.n_units, edited.sum(axis=1))


def dense_rank(*keys: np.ndarray) -> np.ndarray:
    """Dense rank (0 = smallest) of items ordered by ``keys[0]``, ties broken by the next keys;
    equal key tuples share a rank.

    Parameters
    ----------
    *keys : numpy.ndarray
        ``(P,)`` sort keys, most significant first.

    Returns
    -------
    numpy.ndarray
        ``(P,)`` int64 ranks.
    """
    stacked = np.stack([np.asarray(k, dtype=float) for k in keys])
    order = np.lexsort(stacked[::-1])
    ordered = stacked[:, order]
    changed = np.concatenate([[False], (np.diff(ordered, axis=1) != 0).any(axis=0)])
    rank = np.empty(stacked.shape[1], np.int64)
    rank[order] = np.cumsum(changed)
    return rank


def positional_crossover(
    population: Population,
    first: np.ndarray,
    second: np.ndarray,
    probability: float,
    rng: np.random.Generator,
) -> Population:
    """Crossover at a sequence position, size-neutral on average.

    With probability ``probability`` child ``i`` takes the units of parent ``first[i]`` left
    of a cut position and those of ``second[i]`` from it on (the rightmost dropped beyond
    ``U``); the cut is one of the two parents' unit positions, drawn uniformly.  Over
    exchangeable parents the expected child size is the parents' mean size; a child left
    without units copies ``first[i]``.  Otherwise the child copies ``first[i]``.

    Parameters
    ----------
    population : Population
        Canonical parents.
    first, second : numpy.ndarray
        ``(m,)`` parent indices.
    probability : float
        Crossover probability per child.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Population
        ``m`` unrepaired children, units sorted by position (overlaps at the cut are left to
        :func:`repair`).
    """
    a = population.take(first)
    b = population.take(second)
    m = len(a)
    cross = rng.random(m) < probability
    pooled_valid = np.concatenate([a.valid, b.valid], axis=1)
    pooled_pos = np.concatenate([a.pos, b.pos], axis=1)
    n_pooled = pooled_valid.sum(axis=1)
    pick = np.floor(rng.random(m) * np.maximum(n_pooled, 1)).astype(np.int64)
    slot = np.argmax(np.cumsum(pooled_valid, axis=1) > pick[:, None], axis=1)
    cut = pooled_pos[np.arange(m), slot][:, None]
    keep = np.concatenate([a.valid & (a.pos < cut), b.valid & (b.pos >= cut)], axis=1)
    return _merge(a, b, keep, cross & keep.any(axis=1))


def union_crossover(
    population: Population,
    first: np.ndarray,
    second: np.ndarray,
    probability: float,
    rng: np.random.Generator,
) -> Population:
    """Crossover that carries both parents' edits into one child.

    With probability ``probability`` child ``i`` takes every unit of parent ``first[i]`` and
    each unit of ``second[i]`` whose span touches none of them (a unit both parents share is
    taken once); when these exceed ``U``, second-parent units are dropped at random down to
    ``U``.  Otherwise the child copies ``first[i]``.  Two parents that each found one effect
    (say, each weakened a different site) make a child with both in one step; children grow,
    so the search leaves this operator a small share.

    Parameters
    ----------
    population : Population
        Canonical parents.
    first, second : numpy.ndarray
        ``(m,)`` parent indices.
    probability : float
        Union probability per child.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Population
        ``m`` canonical children (every child's units are a subset of its parents' units,
        sorted by position and non-overlapping); they still need :func:`repair` after
        mutation.
    """
    a = population.take(first)
    b = population.take(second)
    u = a.max_units
    cross = rng.random(len(a)) < probability
    priority = rng.random(b.kind.shape)
    a_end = a.pos + np.maximum(a.ref_len, 1)
    b_end = b.pos + np.maximum(b.ref_len, 1)
    touches = (
        a.valid[:, None, :]
        & (a.pos[:, None, :] < b_end[:, :, None])
        & (b.pos[:, :, None] < a_end[:, None, :])
    ).any(axis=2)
    extra = b.valid & ~touches
    priority[~extra] = np.inf
    rank = np.argsort(np.argsort(priority, axis=1, kind="stable"), axis=1)
    extra &= rank < (u - a.n_units)[:, None]
    return _merge(a, b, np.concatenate([a.valid, extra], axis=1), cross)


def _merge(a: Population, b: Population, keep: np.ndarray, cross: np.ndarray) -> Population:
    """Children made of the ``keep`` units of ``a`` then ``b`` (``keep`` is ``(m, 2U)``),
    sorted by position and truncated to ``U``, where ``cross``; copies of ``a`` elsewhere."""
    u = a.max_units
    pooled_pos = np.concatenate([a.pos, b.pos], axis=1)
    big = np.iinfo(np.int64).max
    order = np.argsort(np.where(keep, pooled_pos, big), axis=1, kind="stable")[:, :u]
    taken = np.take_along_axis(keep, order, axis=1)
    child = a.copy()
    for name in _FIELDS:
        pooled = np.concatenate([getattr(a, name), getattr(b, name)], axis=1)
        idx = order if pooled.ndim == 2 else order[:, :, None]
        moved = np.take_along_axis(pooled, idx, axis=1)
        getattr(child, name)[cross] = moved[cross]
    _clear(child, cross[:, None] & ~taken)
    return child


def crossover(
    population: Population,
    first: np.ndarray,
    second: np.ndarray,
    probability: float,
    rng: np.random.Generator,
) -> Population:
    """One-point crossover of unit lists.

    With probability ``probability`` child ``i`` is the first ``a`` units of parent
    ``first[i]`` (``1 <= a <= k``) followed by the units of ``second[i]`` from a random cut on,
    truncated to ``U``; otherwise it copies ``first[i]``.

    Parameters
    ----------
    population : Population
        Canonical parents.
    first, second : numpy.ndarray
        ``(m,)`` parent indices.
    probability : float
        Crossover probability per child.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Population
        ``m`` unrepaired children.
    """
    a = population.take(first)
    b = population.take(second)
    m, u = a.kind.shape
    ka = np.maximum(a.n_units, 1)
    kb = b.n_units
    cross = rng.random(m) < probability
    cut_a = np.floor(rng.random(m) * ka).astype(np.int64) + 1
    cut_b = np.floor(rng.random(m) * (kb + 1)).astype(np.int64)
    j = np.arange(u)[None, :]
    src_b = cut_b[:, None] + j - cut_a[:, None]
    from_b = cross[:, None] & (j >= cut_a[:, None])
    take_b = from_b & (src_b < kb[:, None])
    src_b = np.clip(src_b, 0, u - 1)
    child = a.copy()
    for name in _FIELDS:
        arr_b = getattr(b, name)
        idx = src_b if arr_b.ndim == 2 else src_b[:, :, None]
        moved = np.take_along_axis(arr_b, idx, axis=1)
        mask = take_b if arr_b.ndim == 2 else take_b[:, :, None]
        arr = getattr(child, name)
        arr[:] = np.where(mask, moved, arr)
    _clear(child, from_b & ~take_b)
    return child


def standard_mutation(
    space: SearchSpace, population: Population, rng: np.random.Generator
) -> Population:
    """Mutate every individual once: replace, add or remove one unit (uniform among feasible).

    A replaced or added unit is fresh (any kind, any allowed position); adding needs a free slot,
    removing needs two units.

    Parameters
    ----------
    space : SearchSpace
        Grammar bound to the reference.
    population : Population
        ``m`` canonical individuals.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Population
        ``m`` unrepaired mutants.
    """
    pop = population.copy()
    m, u = pop.kind.shape
    k = pop.n_units
    feasible = np.stack([np.ones(m, bool), k < u, k > 1], axis=1)
    cum = np.cumsum(feasible, axis=1)
    pick = np.floor(rng.random(m) * cum[:, -1]).astype(np.int64)
    op = np.argmax(cum > pick[:, None], axis=1)
    slot = np.floor(rng.random(m) * np.maximum(k, 1)).astype(np.int64)
    slot = np.where(op == 1, k, slot)
    fresh = sample_units(space, m, rng)
    rows = np.arange(m)
    write = np.flatnonzero(op < 2)
    _set_units(pop, write, slot[write], tuple(f[write] for f in fresh))
    drop = np.zeros_like(pop.kind, dtype=bool)
    remove = np.flatnonzero(op == 2)
    drop[rows[remove], slot[remove]] = True
    _clear(pop, drop)
    return pop


def locality_mutation(
    space: SearchSpace,
    population: Population,
    sigma: float,
    rng: np.random.Generator,
    attempts: int = 32,
) -> Population:
    """Move one unit of every individual nearby and redraw it (locality-aware mutation).

    One unit per individual is chosen; it keeps its kind and moves to ``round(N(old, sigma))``,
    redrawn until it differs from the old position and is allowed (up to ``attempts`` times, else
    it stays put); its bases or size are then drawn afresh at the new position.  A unit of a kind
    tied to sites (:meth:`UnitKind.positions`, e.g. motif occurrences) moves instead to the site
    nearest ``round(N(old, sigma))`` other than its old one (ties broken at random; it stays put
    when its kind has no other site), so it never leaves the kind's sites.

    Parameters
    ----------
    space : SearchSpace
        Grammar bound to the reference.
    population : Population
        ``m`` canonical individuals.
    sigma : float
        Standard deviation of the move, in bases.
    rng : numpy.random.Generator
        Source of randomness.
    attempts : int
        Position redraws before giving up on moving.

    Returns
    -------
    Population
        ``m`` unrepaired mutants.
    """
    pop = population.copy()
    k = pop.n_units
    rows = np.flatnonzero(k > 0)
    slots = np.floor(rng.random(rows.size) * k[rows]).astype(np.int64)
    old = pop.pos[rows, slots]
    new = old.copy()
    todo = np.ones(rows.size, bool)
    for _ in range(attempts):
        idx = np.flatnonzero(todo)
        if idx.size == 0:
            break
        cand = np.rint(rng.normal(old[idx], sigma)).astype(np.int64)
        ok = (cand != old[idx]) & (cand >= 0) & (cand < space.length)
        ok[ok] = ~space.forbidden[cand[ok]]
        new[idx[ok]] = cand[ok]
        todo[idx[ok]] = False
    kinds = pop.kind[rows, slots]
    for code, sites in enumerate(space.kind_positions):
        idx = np.flatnonzero(kinds == code)
        if sites is not None and idx.size:
            new[idx] = _nearest_other_site(sites, old[idx], sigma, rng)
    units = sample_units(space, rows.size, rng, pop.kind[rows, slots], new)
    _set_units(pop, rows, slots, units)
    return pop


def _nearest_other_site(
    sites: np.ndarray, old: np.ndarray, sigma: float, rng: np.random.Generator
) -> np.ndarray:
    """``(m,)`` the site in ``sites`` (sorted) nearest ``round(N(old, sigma))``, not ``old``."""
    target = np.rint(rng.normal(old, sigma)).astype(np.int64)
    at = np.searchsorted(sites, target)
    candidates = []
    for step in (-2, -1, 0, 1):  # the old site blocks at most one neighbour on each side
        pick = at + step
        site = sites[np.clip(pick, 0, sites.size - 1)]
        far = np.abs(site - target).astype(float)
        far[(site == old) | (pick < 0) | (pick >= sites.size)] = np.inf
        candidates.append((far, site))
    far = np.stack([c[0] for c in candidates], axis=1)
    site = np.stack([c[1] for c in candidates], axis=1)
    far += rng.random(far.shape) * 0.5  # random tie-break between equidistant sites
    best = site[np.arange(old.size), np.argmin(far, axis=1)]
    return np.where(np.isfinite(far.min(axis=1)), best, old)


def mutate(
    space: SearchSpace,
    population: Population,
    probability: float,
    locality_weight: float,
    sigma: float,
    rng: np.random.Generator,
) -> Population:
    """Mutate each individual with ``probability``: locality-aware with ``locality_weight``,
    standard otherwise.

    Parameters
    ----------
    space : SearchSpace
        Grammar bound to the reference.
    population : Population
        ``m`` canonical individuals.
    probability : float
        Chance that an individual mutates.
    locality_weight : float
        Share of mutations done by :func:`locality_mutation`.
    sigma : float
        Locality move standard deviation.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    Population
        ``m`` unrepaired individuals.
    """
    m = len(population)
    hit = rng.random(m) < probability
    local = rng.random(m) < locality_weight
    out = population.copy()
    for mask, op in (
        (hit & local, lambda p: locality_mutation(space, p, sigma, rng)),
        (hit & ~local, lambda p: standard_mutation(space, p, rng)),
    ):
        idx = np.flatnonzero(mask)
        if idx.size:
            mutated = op(population.take(idx))
            for name in _FIELDS:
                getattr(out, name)[idx] = getattr(mutated, name)
    return out
