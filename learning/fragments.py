"""Rendered HTML kept for reuse: bounded caches, and stencils (HTML rendered once with holes).

Most of a page is the same for everyone who sees it in one language with the same rights: the
header with its menus, a course's outline. A stencil is such a part rendered once, through its
Jinja template, with `Hole`s where per-request values go (the official's name, the CSRF token,
the ✓ on each lesson done); filling it is a join of strings, a few microseconds instead of a
template render. The holes' markers carry a random per-process nonce, so no text from a course
package or a user can forge one, and the values put in them are escaped by whoever passes them.

What is cached is derived from code, translations and data that carry their own version (the
course's content version is part of a course stencil's key), so every process and host builds
the same stencil and none needs telling when another changes; entries age out of bounded maps.

Must not import anything above the kernel.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Hashable, Mapping

from markupsafe import Markup

_NONCE = secrets.token_hex(8)
_MARKER = re.compile("\ue000" + _NONCE + ":([a-z0-9_-]+)\ue001")


class BoundedCache:
    """A thread-safe least-recently-used map, bounded by entry count and by a total size."""

    def __init__(self, max_entries: int, max_size: int | None = None,
                 size_of: Callable[[object], int] = lambda value: 1) -> None:
        self._entries: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries, self._max_size, self._size_of = max_entries, max_size, size_of
        self._size = 0

    def get_or_load(self, key: Hashable, load: Callable[[], object]):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = load()  # outside the lock: a slow load never blocks other keys' readers
        with self._lock:
            if key not in self._entries:
                self._entries[key] = value
                self._size += self._size_of(value)
                while self._entries and (
                        len(self._entries) > self._max_entries
                        or (self._max_size is not None and self._size > self._max_size)):
                    _key, evicted = self._entries.popitem(last=False)
                    self._size -= self._size_of(evicted)
        return value

    def get(self, key: Hashable, default=None):
        """Return the value cached under `key` (marking it recently used), else `default`."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        return default

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


class Hole:
    """A place for a per-request value in a stencil's template: `{{ hole }}` (in text or in an
    attribute) renders as its marker. Only names of [a-z0-9_-]."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        if not re.fullmatch("[a-z0-9_-]+", name):
            raise ValueError(f"not a hole name: {name!r}")
        self.name = name

    def __html__(self) -> str:
        return f"\ue000{_NONCE}:{self.name}\ue001"

    __str__ = __html__


class Stencil:
    """HTML with named holes, filled by `fill`."""

    __slots__ = ("_texts", "names")

    def __init__(self, html: str, names: Collection[str] | None = None) -> None:
        """`names`, when given: the holes to keep; a marker of any other name stays as text
        (a stencil rendered inside another is filled already and must not become holes)."""
        parts = _MARKER.split(str(html))
        texts, kept = [parts[0]], []
        for name, text in zip(parts[1::2], parts[2::2]):
            if names is None or name in names:
                kept.append(name)
                texts.append(text)
            else:
                texts[-1] += str(Hole(name)) + text
        self._texts: tuple[str, ...] = tuple(texts)
        self.names: tuple[str, ...] = tuple(kept)

    def fill(self, values: Mapping[str, str]) -> Markup:
        """Return the HTML with each hole replaced by its value, which must be HTML already
        (Markup, or text the caller escaped). A hole without a value is an error."""
        texts = self._texts
        out = [texts[0]]
        for index, name in enumerate(self.names, 1):
            out.append(values[name])
            out.append(texts[index])
        return Markup("".join(out))

    def __len__(self) -> int:
        return sum(len(text) for text in self._texts)


def stencil_cache(app, name: str, max_entries: int = 2048) -> BoundedCache:
    """Return the application's stencil cache called `name` (one per app: tests build several
    apps with their own settings)."""
    caches = app.extensions.setdefault("hocso_stencils", {})
    try:
        return caches[name]
    except KeyError:  # setdefault: two threads creating it at once end with the same one
        return caches.setdefault(name, BoundedCache(
            max_entries=max_entries, max_size=32 * 1024 * 1024, size_of=len))
