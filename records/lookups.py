"""``field__any=[...]``: membership in a list, cheap for thousands of values.

``__in`` makes Django process every value separately (several microseconds
each) and PostgreSQL parse one placeholder per value. ``__any`` sends the
list as one array parameter (``= ANY(%s)``) on PostgreSQL and falls back to
``IN`` elsewhere. Imports look up 20,000 keys at a time with it.
"""

from django.db import models
from django.db.models.lookups import In


@models.Field.register_lookup
class Any(In):
    lookup_name = "any"

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [v for v in self.rhs if v is not None]
        db_type = self.lhs.output_field.db_type(connection)
        if db_type in ("serial", "bigserial"):
            db_type = "integer" if db_type == "serial" else "bigint"
        cast = db_type.split("(")[0] if db_type else "text"
        return f"{lhs} = ANY(%s::{cast}[])", [*lhs_params, values]
