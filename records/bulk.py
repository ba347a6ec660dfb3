"""Bulk writes with history: many rows in a few statements, each with its history row.

simple-history's ``bulk_create_with_history`` builds every historical row
through the model's history API, one object at a time; for a 20,000-row import
or a 60-student sheet that detour is most of the cost. These write the rows
from a fixed list of attribute names instead, with COPY on PostgreSQL.
"""

from __future__ import annotations

from django.db import connection, models

from .activity import client_ip, current_request


def write_history(
    model, instances, history_type: str, *, user, reason: str, tag: str, when
) -> None:
    """One history row per instance, built from the instance's values directly.

    simple-history's ``bulk_create_with_history`` does the same with a
    per-object detour through the model's ``HistoricalRecords`` API; building
    the rows from a fixed list of attribute names is what keeps imports fast.
    """
    if not instances:
        return
    history_model = model.history.model
    attnames = [f.attname for f in history_model.tracked_fields]
    ip = client_ip(current_request())
    user_id = user.pk if user is not None and user.pk else None
    extra = {
        "history_date": when,
        "history_type": history_type,
        "history_user_id": user_id,
        "history_change_reason": reason,
        "history_ip_address": ip,
        "history_batch": tag[:100],
    }
    if connection.vendor == "postgresql":
        names = [*attnames, *extra]
        tail = list(extra.values())
        files = {
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.FileField)
        }
        _copy_rows(
            history_model,
            names,
            (
                [
                    (getattr(obj, name).name or "")
                    if name in files
                    else getattr(obj, name)
                    for name in attnames
                ]
                + tail
                for obj in instances
            ),
        )
        return
    rows = []
    for obj in instances:
        values = {name: getattr(obj, name) for name in attnames}
        values.update(extra)
        rows.append(history_model(**values))
    history_model._base_manager.bulk_create(rows, batch_size=1000)


# Field types whose Python values psycopg writes as they are (no get_db_prep_save).
_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.DateField,
    models.TimeField,
    models.BooleanField,
    models.DecimalField,
    models.ForeignKey,
    models.AutoField,
    models.BigAutoField,
    models.GenericIPAddressField,
)


def _db_value(model, name: str):
    f = model._meta.get_field(name) if name in _field_names(model) else None
    if f is None:
        f = next(x for x in model._meta.concrete_fields if x.attname == name)
    if isinstance(f, models.FileField) or not isinstance(f, _PLAIN_FIELDS):
        return lambda value: f.get_db_prep_save(value, connection)
    return None


def _field_names(model) -> set[str]:
    return {f.name for f in model._meta.concrete_fields}


def _copy_rows(model, attnames: list[str], rows) -> None:
    """COPY rows into the model's table (PostgreSQL): the fastest way in."""
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    columns = [by_attname[name].column for name in attnames]
    preps = [_db_value(model, by_attname[name].name) for name in attnames]
    qn = connection.ops.quote_name
    sql = (
        f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) "
        "FROM STDIN"
    )
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        if any(preps):
            for row in rows:
                copy.write_row(
                    [p(v) if p else v for p, v in zip(preps, row, strict=True)]
                )
        else:
            for row in rows:
                copy.write_row(row)


def insert_rows(model, objs: list) -> None:
    """Insert new records; afterwards each has its primary key.

    PostgreSQL: primary keys are taken from the table's sequence in one query
    and the rows go in with COPY. Elsewhere: ``bulk_create``.
    """
    if connection.vendor != "postgresql":
        model._base_manager.bulk_create(objs, batch_size=1000)
        return
    opts = model._meta
    for f in opts.concrete_fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                f.pre_save(obj, add=True)
    pk = opts.pk
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) "
            "FROM generate_series(1, %s)",
            [opts.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
    for obj, pk_value in zip(objs, ids, strict=True):
        setattr(obj, pk.attname, pk_value)
        obj._state.adding = False
        obj._state.db = connection.alias
    attnames = [f.attname for f in opts.concrete_fields]
    _copy_rows(model, attnames, ([getattr(o, n) for n in attnames] for o in objs))
