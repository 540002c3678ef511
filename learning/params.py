"""Request parameters the database can take: bounded integers and storable text.

Owns the URL converters that replace Flask's `int`, `string` and `path`, the request class
whose query arguments never carry an integer or a character the database would choke on, and
the helpers views use to read integer query arguments. Must not import feature packages.

Why: SQLite refuses integers beyond signed 64 bits (OverflowError); PostgreSQL refuses integers
beyond its INTEGER columns' 32 bits and NUL in text ("A string literal cannot contain NUL").
Either used to end as a 500 page. Values that cannot name anything now become a 404 (path) or
are ignored (query).
"""

from __future__ import annotations

import re

from flask import Request as FlaskRequest
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.routing import IntegerConverter, PathConverter, UnicodeConverter, ValidationError
from werkzeug.utils import cached_property

# Every integer column (ids included) is INTEGER: 64 bits on SQLite but 32 on PostgreSQL, where
# SQLAlchemy sends parameters as `%(id)s::INTEGER`, so 2**31 already fails there ("integer out of
# range"). The common range is the one a value must fit to be looked up anywhere.
DB_INT_MIN = -(2**31)
DB_INT_MAX = 2**31 - 1
_DB_INT_DIGITS = len(str(DB_INT_MAX))
_ASCII_INTEGER = re.compile(r"[+-]?[0-9]+")

# NUL cannot be stored in PostgreSQL text; the other C0 controls (tab, LF and CR excepted) and
# the noncharacters U+FFFE/U+FFFF are storable but break XML (XLSX exports, PDF metadata) and
# are never typed by a person. Lone surrogates cannot be encoded to UTF-8 at all.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def has_unstorable(text: str) -> bool:
    """Tell whether `text` holds a character the database or our exports cannot keep."""
    return _UNSTORABLE.search(text) is not None


def strip_unstorable(text: str) -> str:
    """Return `text` without the characters `has_unstorable` looks for."""
    return _UNSTORABLE.sub("", text)


def db_int(value) -> int:
    """Convert `value` to an int every integer column can hold; raise ValueError otherwise.

    Usable as werkzeug's `type=` (which turns ValueError into the default). Long digit strings
    are refused before int() so that Python's 4,300-digit limit is never reached either.
    """
    text = str(value).strip()
    if not _ASCII_INTEGER.fullmatch(text):  # int() also takes "1_000" and full-width digits
        raise ValueError("not an integer")
    if len(text.lstrip("+-").lstrip("0")) > _DB_INT_DIGITS:
        raise ValueError("integer out of range")
    number = int(text)
    if not DB_INT_MIN <= number <= DB_INT_MAX:
        raise ValueError("integer out of range")
    return number


def page_number(args, page_size: int, name: str = "page") -> int:
    """Read a 1-based page number; bad or out-of-range values give page 1 or the last page
    whose OFFSET still fits in the database's integers (pages past the end are empty)."""
    page = args.get(name, 1, type=db_int)
    return min(max(page, 1), DB_INT_MAX // page_size)


class QueryArgs(ImmutableMultiDict):
    """Query arguments whose `get(..., type=int)` is bounded to the database's integers, so
    a view that forgets `db_int` still gets the default instead of an overflow."""

    def get(self, key, default=None, type=None):
        """Return the value for `key` converted by `type` (int is bounded), or `default`."""
        return super().get(key, default, db_int if type is int else type)

    def getlist(self, key, type=None):
        """Return every value for `key` converted by `type` (int is bounded; others dropped)."""
        return super().getlist(key, db_int if type is int else type)


class Request(FlaskRequest):
    """Flask's request with storable, bounded query arguments (see the module docstring)."""

    @cached_property
    def args(self) -> QueryArgs:
        """The query arguments, without characters the database cannot store.

        Stripped, not refused: they come from links and GET search boxes, and nobody searches
        for a NUL. Form fields keep theirs so that the form can show the error (learning.forms).
        """
        raw = FlaskRequest.args.fget(self)
        return QueryArgs([(strip_unstorable(key), strip_unstorable(value))
                          for key, value in raw.items(multi=True)])


def _up_to(limit: int) -> str:
    """Return a regex matching exactly the decimal numbers 0..limit (leading zeros allowed)."""
    digits = str(limit)
    choices = [f"[0-9]{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    for position, digit in enumerate(digits):
        rest = len(digits) - position - 1
        if digit != "0":
            tail = f"[0-9]{{{rest}}}" if rest else ""
            choices.append(f"{digits[:position]}[0-{int(digit) - 1}]{tail}")
    choices.append(digits)
    return f"0*(?:{'|'.join(choices)})"


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` whose values fit the database's integer columns (else 404).

    The bound is in the regex too, not only in `to_python`: Werkzeug checks a rule's methods
    before converting, so a number out of range on a URL with a GET and a PATCH rule would
    otherwise be a 405 for PATCH instead of a 404."""

    regex = _up_to(DB_INT_MAX)

    def to_python(self, value: str) -> int:
        """Return the integer in the path, or refuse the match (404) when out of range."""
        try:
            number = db_int(value)
        except ValueError:
            raise ValidationError() from None
        if (self.min is not None and number < self.min) or (
            self.max is not None and number > self.max
        ):
            raise ValidationError()
        return number


class StorableStringConverter(UnicodeConverter):
    """`<name>` (the default converter) that refuses characters the database cannot store."""

    def to_python(self, value: str) -> str:
        """Return the segment, or refuse the match (404) when it holds unstorable characters."""
        if has_unstorable(value):
            raise ValidationError()
        return value


class StorablePathConverter(PathConverter):
    """`<path:...>` that refuses characters the database cannot store."""

    def to_python(self, value: str) -> str:
        """Return the path, or refuse the match (404) when it holds unstorable characters."""
        if has_unstorable(value):
            raise ValidationError()
        return value


CONVERTERS = {
    "int": BoundedIntConverter,
    "default": StorableStringConverter,
    "string": StorableStringConverter,
    "path": StorablePathConverter,
}
