"""Cursor pagination for every list of the API: `?limit=N&cursor=...` in, and
`{"items": [...], "next_cursor": "..." | null}` out.

A cursor is opaque to clients: the sort key of the last item sent, signed with the app's secret
key and bound to the list it came from (endpoint, filters, reader). A cursor that was changed,
cut, or taken from another list is refused with 400, never a 500. Keyset, not offset: a page starts after the last item
seen, so items added or removed meanwhile shift nothing (no duplicates, no gaps).

Two ways to page, one cursor:
- `paginate(items, key=...)` for the lists the services return whole (an official's
  enrolments, the catalog): sorted by `key` and cut after the cursor's key;
- `after_condition(columns, key)` for SQL lists too long to load whole (officials): a WHERE
  clause that starts after the key, for a query ordered by the same columns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from flask import current_app, request
from flask_login import current_user
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeSerializer
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, or_

from learning.api.errors import APIError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 2048
_SALT = "hocso.api.cursor"
BAD_CURSOR = _l("The cursor is not valid: use the next_cursor of the previous page as it is.")

Item = TypeVar("Item")
Key = tuple[Any, ...]


class PageQuery(BaseModel):
    """The query parameters of every list."""

    # An unknown parameter is refused, not ignored: `?limt=10` or `?curser=` would otherwise
    # quietly give the first page of the default size.
    model_config = ConfigDict(extra="forbid")

    cursor: str = Field(
        "", max_length=MAX_CURSOR_LENGTH,
        description="The `next_cursor` of the previous page; leave out for the first page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT,
                       description=f"Items per page, at most {MAX_LIMIT}.")


Out = TypeVar("Out", bound=BaseModel)


class Page(BaseModel, Generic[Out]):
    """One page of a list."""

    items: list[Out]
    next_cursor: str | None = Field(
        description="Pass it as `cursor` for the next page; null on the last page.")


def _serializer(list_name: str) -> URLSafeSerializer:
    # The list's name is part of the salt: a cursor of one list is refused by every other.
    return URLSafeSerializer(current_app.secret_key, salt=f"{_SALT}:{list_name}")


def _list_name() -> str:
    """Name the list being paged: the endpoint, its path and query arguments but the page's
    own (cursor, limit), and whose list it is. A cursor of another campaign's, filter's or
    official's list would otherwise start this one after a foreign item, skipping silently."""
    filters = sorted((name, value) for name, value in request.args.items(multi=True)
                     if name not in ("cursor", "limit"))
    reader = getattr(current_user, "id", None)
    return json.dumps([request.endpoint or "", sorted((request.view_args or {}).items()),
                       filters, reader], default=str, ensure_ascii=False)


def encode_cursor(key: Key) -> str:
    """Return the cursor that continues the current list after the item with `key`."""
    return _serializer(_list_name()).dumps(list(key))


def decode_cursor(cursor: str, arity: int | None = None) -> Key:
    """Return the key a cursor of the current list carries; 400 when it is not one."""
    try:
        value = _serializer(_list_name()).loads(cursor)
    except (BadData, ValueError, UnicodeError):
        raise APIError(400, BAD_CURSOR, field="cursor") from None
    if (not isinstance(value, list) or not value
            or (arity is not None and len(value) != arity)
            or not all(isinstance(part, str | int) and not isinstance(part, bool)
                       for part in value)):
        raise APIError(400, BAD_CURSOR, field="cursor")
    return tuple(value)


def paginate(items: Sequence[Item], *, key: Callable[[Item], Key],
             query: PageQuery) -> tuple[list[Item], str | None]:
    """Return the page of `items` (in `key` order) that `query` asks for, and the next cursor."""
    ordered = sorted(items, key=key)
    if query.cursor:
        after = decode_cursor(query.cursor)
        try:
            ordered = [item for item in ordered if key(item) > after]
        except TypeError:  # a key of another shape (e.g. from an older release)
            raise APIError(400, BAD_CURSOR, field="cursor") from None
    page = ordered[:query.limit]
    more = len(ordered) > query.limit
    return page, encode_cursor(key(page[-1])) if more else None


def after_condition(columns: Sequence, key: Key, *, descending: bool = False):
    """Return the SQL condition "(columns) > key" for a query ordered by `columns` ascending
    ("(columns) < key" for one ordered by every column descending).

    Written out as (a > x) OR (a = x AND b > y) ... so that it works on every backend; the
    columns must be NOT NULL and together unique (end with the primary key)."""
    if len(columns) != len(key):
        raise APIError(400, BAD_CURSOR, field="cursor")
    # A text key compared with an integer column (or the reverse) would fail in PostgreSQL.
    for column, part in zip(columns, key, strict=True):
        try:
            python_type = column.type.python_type
        except NotImplementedError:  # a type that does not say: the database will
            continue
        if python_type in (int, str) and not isinstance(part, python_type):
            raise APIError(400, BAD_CURSOR, field="cursor")
    clauses = []
    for position, column in enumerate(columns):
        equal_before = [columns[i] == key[i] for i in range(position)]
        beyond = column < key[position] if descending else column > key[position]
        clauses.append(and_(*equal_before, beyond))
    return or_(*clauses)
