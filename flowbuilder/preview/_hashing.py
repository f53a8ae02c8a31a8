"""Record hashing as the engine does it (Guava ``Hashing`` with the engine's ``RecordFunnel``).

The Field Hasher and the Record Deduplicator feed field values, not names, into a hash in a
fixed order: each value's bytes (little-endian primitives, UTF-8 text), ``true`` for a null,
and an optional separator. Several fields are taken in Java ``HashSet`` iteration order, which
this module reproduces so hashes match the engine's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
from collections.abc import Iterable

from . import _java
from ._fields import Field

__all__ = ["HASH_TYPES", "digest", "field_bytes", "funnel", "java_set_order", "murmur3_128"]

#: Hash types the Field Hasher offers.
HASH_TYPES = ("MD5", "SHA1", "SHA256", "SHA512", "MURMUR3_128")
_UNSUPPORTED = frozenset({"MAP", "LIST", "LIST_MAP"})
_MASK = 0xFFFFFFFFFFFFFFFF


def _java_string_hash(text: str) -> int:
    value = 0
    for unit in text.encode("utf-16-be").hex(" ", 2).split():
        value = (31 * value + int(unit, 16)) & 0xFFFFFFFF
    return value


def java_set_order(items: Iterable[str]) -> list[str]:
    """``items`` in the order a Java ``HashSet<String>`` filled in that order iterates them.

    >>> java_set_order(["/b", "/a", "/c"])
    ['/a', '/b', '/c']
    """
    unique = list(dict.fromkeys(items))
    capacity = 16
    while len(unique) > capacity * 3 // 4:
        capacity *= 2

    def bucket(text: str) -> int:
        code = _java_string_hash(text)
        return (code ^ (code >> 16)) & (capacity - 1)

    return sorted(unique, key=lambda text: bucket(text))  # sorted() is stable: insertion order per bucket


def field_bytes(field: Field) -> bytes:
    """The bytes ``RecordFunnel`` feeds for one field: primitives little-endian, text as UTF-8."""
    value = field.value
    if value is None:
        return b"\x01"
    kind = field.type
    if kind == "BOOLEAN":
        return b"\x01" if value else b"\x00"
    if kind == "CHAR":
        return struct.pack("<H", ord(str(value)[:1] or "\x00") & 0xFFFF)
    if kind == "BYTE":
        return struct.pack("<b", int(value))
    if kind == "SHORT":
        return struct.pack("<h", int(value))
    if kind == "INTEGER":
        return struct.pack("<i", int(value))
    if kind == "LONG":
        return struct.pack("<q", int(value))
    if kind == "FLOAT":
        return struct.pack("<f", float(value))
    if kind == "DOUBLE":
        return struct.pack("<d", float(value))
    if kind in ("DATE", "DATETIME") and isinstance(value, (dt.date, dt.datetime)):
        return struct.pack("<q", _java.to_millis(value))
    if kind == "TIME" and isinstance(value, dt.time):
        millis = ((value.hour * 60 + value.minute) * 60 + value.second) * 1000 + value.microsecond // 1000
        return struct.pack("<q", millis)
    if kind in ("STRING", "DECIMAL"):
        return _java.to_string(value).encode("utf-8")
    if kind == "BYTE_ARRAY" and isinstance(value, bytes):
        return value
    return b""


def funnel(
    fields: Iterable[Field],
    *,
    separator: str | None = None,
    attributes: Iterable[str | None] = (),
) -> bytes:
    """All bytes fed for ``fields`` in order, each followed by ``separator`` when given."""
    tail = separator.encode("utf-8") if separator is not None else b""
    out = bytearray()
    for field in fields:
        out += field_bytes(field) + tail
    for attribute in attributes:
        out += (attribute.encode("utf-8") if attribute is not None else b"\x01") + tail
    return bytes(out)


def digest(data: bytes, hash_type: str) -> str:
    """The lowercase hex hash of ``data`` (``MD5``, ``SHA1``, ``SHA256``, ``SHA512``, ``MURMUR3_128``).

    >>> digest(b"abc", "MD5")
    '900150983cd24fb0d6963f7d28e17f72'
    """
    if hash_type == "MURMUR3_128":
        return murmur3_128(data).hex()
    algorithm = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}.get(hash_type)
    if algorithm is None:
        raise ValueError(f"unsupported hash type {hash_type!r}; use one of {', '.join(HASH_TYPES)}")
    return hashlib.new(algorithm, data).hexdigest()


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _fmix(value: int) -> int:
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & _MASK
    value ^= value >> 33
    value = (value * 0xC4CEB9FE1A85EC53) & _MASK
    return value ^ (value >> 33)


def murmur3_128(data: bytes, seed: int = 0) -> bytes:
    """MurmurHash3 x64 128-bit, as Guava's ``Hashing.murmur3_128()`` returns its bytes.

    >>> murmur3_128(b"").hex()
    '00000000000000000000000000000000'
    """
    c1, c2 = 0x87C37B91114253D5, 0x4CF5AD432745937F
    h1 = h2 = seed & _MASK
    blocks = len(data) // 16
    for block in range(blocks):
        k1, k2 = struct.unpack_from("<QQ", data, block * 16)
        k1 = (_rotl((k1 * c1) & _MASK, 31) * c2) & _MASK
        h1 ^= k1
        h1 = (_rotl(h1, 27) + h2) & _MASK
        h1 = (h1 * 5 + 0x52DCE729) & _MASK
        k2 = (_rotl((k2 * c2) & _MASK, 33) * c1) & _MASK
        h2 ^= k2
        h2 = (_rotl(h2, 31) + h1) & _MASK
        h2 = (h2 * 5 + 0x38495AB5) & _MASK
    tail = data[blocks * 16 :]
    k1 = k2 = 0
    for index in range(len(tail) - 1, -1, -1):
        if index >= 8:
            k2 ^= tail[index] << ((index - 8) * 8)
        else:
            k1 ^= tail[index] << (index * 8)
    if len(tail) > 8:
        k2 = (_rotl((k2 * c2) & _MASK, 33) * c1) & _MASK
        h2 ^= k2
    if tail:
        k1 = (_rotl((k1 * c1) & _MASK, 31) * c2) & _MASK
        h1 ^= k1
    h1 ^= len(data)
    h2 ^= len(data)
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    h1, h2 = _fmix(h1), _fmix(h2)
    h1 = (h1 + h2) & _MASK
    h2 = (h2 + h1) & _MASK
    return struct.pack("<QQ", h1, h2)


def supported(field: Field) -> bool:
    """True for fields the hasher can hash (not MAP, LIST or LIST_MAP)."""
    return field.type not in _UNSUPPORTED
