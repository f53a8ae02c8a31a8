"""Names: Python names of configs, instance names of stages, and "did you mean" hints."""

from __future__ import annotations

import difflib
import functools
import keyword
import re
from collections.abc import Iterable

__all__ = [
    "a",
    "did_you_mean",
    "file_names",
    "has_control_characters",
    "instance_base",
    "printable",
    "python_name",
    "snake_case",
    "ss_attribute_name",
    "wx_attribute_name",
]

_PER = re.compile(r"\s*/\s*(sec|secs|second|seconds|s|ms|min|mins|minute|minutes|hour|hours|h|day|days)\b")
_PARENS = re.compile(r"\(([^)]*)\)")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@functools.lru_cache(maxsize=65536)  # pure, and asked again for the same few thousand names
def snake_case(text: str) -> str:
    """Turn ``camelCase`` or ``dotted.name`` into ``snake_case``.

    >>> snake_case("schemaRegistryUrlsForRegistration")
    'schema_registry_urls_for_registration'
    """
    spaced = _CAMEL.sub(" ", text)
    return _NOT_WORD.sub("_", spaced.lower()).strip("_")


@functools.lru_cache(maxsize=65536)
def python_name(label: str | None, fallback: str) -> str:
    """The Python name of a config: a valid identifier derived from its label.

    Lower-case, ``&`` becomes ``and``, ``/ sec`` becomes ``per sec``, ``(X)`` becomes ``in X``,
    every other run of punctuation or space becomes ``_``. A label-less config uses its field
    name (``fallback``, the raw config name) in snake case.

    >>> python_name("Retry Pipeline on Error", "shouldRetry")
    'retry_pipeline_on_error'
    >>> python_name("Max File Size (MB)", "maxFileSize")
    'max_file_size_in_mb'
    >>> python_name("Rate Limit (records / sec)", "rateLimit")
    'rate_limit_in_records_per_sec'
    >>> python_name("", "conf.displayFormats")
    'display_formats'
    """
    text = (label or "").strip()
    if not text:
        return snake_case(fallback.rsplit(".", 1)[-1]) or "config"
    text = text.lower().replace("&", " and ")
    text = _PER.sub(r" per \1", text)
    text = _PARENS.sub(r" in \1 ", text)
    text = text.replace("%", " percent ").replace("#", " number ").replace("+", " plus ")
    name = _NOT_WORD.sub("_", text).strip("_") or snake_case(fallback.rsplit(".", 1)[-1]) or "config"
    if name[0].isdigit():
        name = "n" + name
    if keyword.iskeyword(name):
        name += "_"
    return name


def wx_attribute_name(label: str | None, fallback: str) -> str:
    """The name the watsonx.data integration SDK derives from a label (may not be an identifier).

    >>> wx_attribute_name("Rate Limit (records / sec)", "rateLimit")
    'rate_limit_in_records_/_sec'
    """
    if not label:
        return snake_case(fallback.rsplit(".", 1)[-1])
    text = label.lower()
    text = re.sub(r"[\s-]+", "_", text)
    text = text.replace("&", "and")
    text = text.replace("/sec", "_per_sec")
    return re.sub(r"_\((.*)\)", r"_in_\1", text)


def ss_attribute_name(label: str | None, fallback: str) -> str:
    """The name the classic StreamSets SDK derives from a label.

    >>> ss_attribute_name("Rate Limit (records / sec)", "rateLimit")
    'rate_limit_in_records_or_sec'
    """
    if not label:
        return snake_case(fallback.rsplit(".", 1)[-1])
    text = label.lower()
    text = re.sub(r"[\s-]+", "_", text)
    text = text.replace("&", "and").replace("/", "or")
    text = text.replace("/sec", "_per_sec")
    text = re.sub(r"_\((.*)\)", r"_in_\1", text)
    return text.replace(".", "")


def instance_base(label: str) -> str:
    """The stem of an instance name: the label with every char outside ``[0-9A-Za-z_]`` removed.

    >>> instance_base("Dev Raw Data Source")
    'DevRawDataSource'
    >>> instance_base("Write to File")
    'WritetoFile'
    """
    return re.sub(r"[^0-9A-Za-z_]", "", label) or "Stage"


_UNSAFE_IN_FILE_NAMES = re.compile(r"[^0-9A-Za-z._-]+")
_MAX_FILE_STEM = 80


def file_names(names: Iterable[str], *, prefix: str = "") -> list[str]:
    """One file name stem per flow name, safe on any file system and unique among them: runs of
    other characters become ``_``, long names are cut, a repeated name gets ``-2``, ``-3``...
    With ``prefix``, each is ``<prefix>.<name>``. The one rule for every file flowbuilder names
    after flows (drawings, exports).

    >>> file_names(["orders", "orders", "a/b: c", ""])
    ['orders', 'orders-2', 'a_b_c', 'flow']
    >>> file_names(["orders"], prefix="flows")
    ['flows.orders']
    """
    chosen: list[str] = []
    taken: set[str] = set()
    next_number: dict[str, int] = {}  # per stem, so n flows of one name cost O(n), not O(n^2)
    for name in names:
        base = _UNSAFE_IN_FILE_NAMES.sub("_", name)[:_MAX_FILE_STEM].strip("._") or "flow"
        base = f"{prefix}.{base}" if prefix else base
        candidate, number = base, next_number.get(base, 2)
        while candidate in taken:
            candidate, number = f"{base}-{number}", number + 1
        next_number[base] = number
        taken.add(candidate)
        chosen.append(candidate)
    return chosen


# What must never reach a terminal as it is: C0 and C1 controls and DEL (ESC and U+009B start
# escape sequences), line and paragraph separators, and the bidirectional controls that make text
# read other than it is stored (U+202E "right-to-left override").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def has_control_characters(text: str) -> bool:
    r"""Whether ``text`` holds a control, separator or bidirectional-control character: the rule for
    names (a flow name is one line that reads as it is stored).

    >>> has_control_characters("orders")
    False
    >>> has_control_characters("evil\u202egnp.exe"), has_control_characters("csi\x9b2J")
    (True, True)
    """
    return _CONTROL.search(text) is not None


def printable(text: str, *, lines: bool = False) -> str:
    r"""``text`` with every character :func:`has_control_characters` rejects shown as ``\uXXXX``, the
    form JSON reads back; with ``lines``, newlines and tabs are kept. The one rule for text that
    reaches a terminal.

    >>> print(printable("evil\u202egnp.exe"))
    evil\u202egnp.exe
    >>> printable("a\tb\n", lines=True) == "a\tb\n"
    True
    """
    pattern = _CONTROL_BUT_LINES if lines else _CONTROL
    return pattern.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def did_you_mean(word: str, choices: Iterable[str], *, n: int = 1) -> str | None:
    """A "Did you mean 'x'?" hint naming the closest choices, or None when nothing is close.

    >>> did_you_mean("Trash Can", ["Trash", "Local FS"])
    "Did you mean 'Trash'?"
    >>> did_you_mean("directroy_template", ["directory_template", "files_prefix"])
    "Did you mean 'directory_template'?"
    """
    pool = list(dict.fromkeys(choices))
    lowered: dict[str, str] = {}
    for choice in pool:
        lowered.setdefault(choice.lower(), choice)
    matches = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    if not matches:
        target = word.lower()
        matches = [c for c in lowered if c.startswith(target) or target.startswith(c)][:n]
    if not matches:
        return None
    return "Did you mean " + " or ".join(repr(lowered[m]) for m in matches) + "?"


def a(word: str) -> str:
    """``word`` after its indefinite article, for messages: "an origin", "a destination".

    >>> a("origin"), a("executor"), a("processor")
    ('an origin', 'an executor', 'a processor')
    """
    return f"{'an' if word[:1].lower() in 'aeiou' else 'a'} {word}"
