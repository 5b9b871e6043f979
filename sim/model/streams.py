"""Named random streams: one generator per (seed, block, quantity name).

Block ``k`` of a run is child ``k`` of ``SeedSequence(seed)`` (spawn key
``(k,)``); the stream of a named quantity in that block extends the spawn key
with words of a stable hash of the name.  Hence

* the same seed gives the same draws, on any number of workers;
* two scenarios that differ in one parameter share every other draw
  (common random numbers), because draws are keyed by name, not by order;
* adding a state adds streams named after it and changes no other stream.

Python's :func:`hash` differs per process, so names are hashed with BLAKE2b.
"""

from __future__ import annotations

import functools
import hashlib

import numpy as np


@functools.lru_cache(maxsize=4096)
def name_words(name: str) -> tuple[int, ...]:
    """Four 32-bit words of a stable hash of ``name``."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def block_seed(seed: int, block: int) -> np.random.SeedSequence:
    """Child ``block`` of ``SeedSequence(seed)``, as ``SeedSequence(seed).spawn(...)[block]``."""
    return np.random.SeedSequence(entropy=seed, spawn_key=(block,))


class Streams:
    """Factory of named generators for one block; each name may be asked for once."""

    def __init__(self, seed: int, block: int, key: tuple[int, ...] = ()):
        self.seed = int(seed)
        self.block = int(block)
        #: Extra spawn-key words before the block (a design's own seed, e.g. an outer point).
        self.key = tuple(int(k) for k in key)
        self._used: set[str] = set()

    def __call__(self, name: str) -> np.random.Generator:
        if name in self._used:
            # Two consumers of one stream would share draws and break CRN silently.
            raise ValueError(f"random stream {name!r} requested twice in one block")
        self._used.add(name)
        ss = np.random.SeedSequence(entropy=self.seed, spawn_key=(*self.key, self.block, *name_words(name)))
        return np.random.Generator(np.random.PCG64(ss))

    def uniform(self, name: str, shape) -> np.ndarray:
        """Uniform [0, 1) draws from the stream ``name``."""
        return self(name).random(shape)
