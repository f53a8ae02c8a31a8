"""The iteration order of ``java.util.HashMap``, which the engine's parsers build records from.

A HashMap iterates its table bucket by bucket (the key's ``String.hashCode`` spread over a table
of 16, 32... buckets), keys of one bucket in the order they came. The table doubles when it
holds more than three quarters of its size, and ``putAll`` into an empty map sizes it first for
all the keys it brings, so 12 keys put one by one fit 16 buckets but 12 given to ``putAll`` get 32.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["JavaHashMap", "java_hash_order"]


def _spread_hash(key: str) -> int:
    h = 0
    data = key.encode("utf-16-be", "surrogatepass")  # Java strings are UTF-16 code units
    for i in range(0, len(data), 2):
        h = (31 * h + (data[i] << 8 | data[i + 1])) & 0xFFFFFFFF
    return h ^ (h >> 16)


class JavaHashMap:
    """The keys of a ``HashMap<String, ?>`` and the size of its table (values are kept elsewhere).

    >>> m = JavaHashMap()
    >>> m.put_all(["b", "a"]); m.put("p"); m.order()
    ['p', 'a', 'b']
    """

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._capacity = 0
        self._threshold = 0

    def _resize(self) -> None:
        if self._capacity:
            self._capacity, self._threshold = self._capacity * 2, self._threshold * 2
        else:
            self._capacity = self._threshold or 16
            self._threshold = int(self._capacity * 0.75)

    def put(self, key: str) -> None:
        """``put``: a new key goes last in its bucket; a known key keeps its place."""
        if key in self._keys:
            return
        if not self._capacity:
            self._resize()
        self._keys.append(key)
        if len(self._keys) > self._threshold:
            self._resize()

    def put_all(self, keys: Iterable[str]) -> None:
        """``putAll`` of a map with ``keys`` (in that map's order)."""
        together = list(keys)
        if not together:
            return
        if not self._capacity:
            wanted = int(len(together) / 0.75 + 1.0)
            if wanted > self._threshold:
                self._threshold = 1 << (wanted - 1).bit_length()
        elif len(together) > self._threshold:
            self._resize()
        for key in together:
            self.put(key)

    def remove(self, key: str) -> None:
        """``remove``: the table keeps its size."""
        if key in self._keys:
            self._keys.remove(key)

    def order(self) -> list[str]:
        """The keys in the order the map iterates them."""
        mask = (self._capacity or 16) - 1
        return sorted(self._keys, key=lambda key: _spread_hash(key) & mask)


def java_hash_order(puts: Iterable[str], put_all: Iterable[str]) -> list[str]:
    """The order of a new HashMap's keys put one by one (``puts``), then given to ``putAll``.

    >>> java_hash_order([], ["b", "a", "c"])
    ['a', 'b', 'c']
    """
    made = JavaHashMap()
    for key in puts:
        made.put(key)
    made.put_all(put_all)
    return made.order()
