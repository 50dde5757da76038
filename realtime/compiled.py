"""One-row ORM reads compiled to SQL once per process (issue 17's join storm).

Building and compiling a queryset with annotated subqueries costs far more CPU than running
it: the room read of a socket's connect (``policy.room_session``) took about 2 ms of Python per
call and the ``hello``'s (with ``selectors.with_room_flags``) about 4 ms, against well under
0.1 ms for PostgreSQL's round trip. A :class:`CompiledRow` builds its queryset once, with
stand-in values for its parameters, keeps the compiler's SQL and the positions of those values,
and on each call runs the same SQL with the real values, turning the row into the model
instance (``select_related`` objects and annotations included) the way Django's own
``ModelIterable`` does. The query is the ORM's own, so it reads exactly what the queryset
would; only the compiling is done once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# Stand-ins for the parameters while compiling: no real id is negative and this large.
_STAND_IN_BASE = -987_654_000


class CompiledRow:
    """``build(**params)`` returns a queryset of at most one row of one model, whose varying
    values are the ``params``: whole numbers (ids), or text for the names in ``texts``, each
    compared as it is (no lookup that transforms it); ``get(**params)`` runs it."""

    one = True  # LIMIT 1

    def __init__(
        self, build: Callable[..., QuerySet], *names: str, texts: tuple[str, ...] = ()
    ) -> None:
        self.build = build
        self.names = names
        self.texts = texts
        self._compiled: dict[tuple[str, str], tuple] = {}
        self._lock = threading.Lock()

    def _stand_in(self, n: int, name: str):
        if name in self.texts:
            return f"\x01stand-in {n} for {name}"
        return _STAND_IN_BASE - n

    def _value(self, name: str, values: dict):
        return str(values[name]) if name in self.texts else int(values[name])

    def _compile(self, alias: str):
        stand_ins = {name: self._stand_in(n, name) for n, name in enumerate(self.names)}
        queryset = self.build(**stand_ins)
        if self.one:
            queryset = queryset[:1]
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        by_value = {(type(v), v): name for name, v in stand_ins.items()}
        slots = [by_value.get((type(p), p)) for p in params]
        if set(filter(None, slots)) != set(self.names):  # pragma: no cover - a build mistake
            raise ValueError("Every parameter of a CompiledRow must reach its SQL as given.")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        klass_info = compiler.klass_info
        if klass_info is None:  # values_list(): rows, no model
            return (sql, list(params), slots, compiler, compiler.get_converters(fields))
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        return (
            sql,
            list(params),
            slots,
            compiler,
            compiler.get_converters(fields),
            klass_info["model"],
            (start, end),
            [f[0].target.attname for f in compiler.select[start:end]],
            compiler.annotation_col_map or {},
            get_related_populators(klass_info, compiler.select, alias),
        )

    def _run(self, values: dict, *, fetch_all: bool):
        alias = DEFAULT_DB_ALIAS
        connection = connections[alias]
        key = (alias, connection.vendor)
        compiled = self._compiled.get(key)
        if compiled is None:
            with self._lock:
                compiled = self._compiled.get(key) or self._compile(alias)
                self._compiled[key] = compiled
        sql, params, slots, compiler, converters = compiled[:5]
        params = [
            p if slot is None else self._value(slot, values)
            for p, slot in zip(params, slots, strict=True)
        ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall() if fetch_all else cursor.fetchmany(1)
        if converters and rows:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return compiled, rows

    def get(self, **values):
        compiled, rows = self._run(values, fetch_all=False)
        if not rows:
            return None
        row = rows[0]
        model, span, names, annotations, related = compiled[5:]
        obj = model.from_db(DEFAULT_DB_ALIAS, names, row[span[0] : span[1]])
        for populator in related:
            populator.populate(row, obj)
        for name, position in annotations.items():
            setattr(obj, name, row[position])
        return obj


class CompiledValues(CompiledRow):
    """As :class:`CompiledRow` for a ``values_list()`` queryset of any number of rows:
    ``rows(**params)`` returns them as tuples."""

    one = False

    def rows(self, **values) -> list[tuple]:
        return self._run(values, fetch_all=True)[1]
