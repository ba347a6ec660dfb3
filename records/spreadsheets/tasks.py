"""Background tasks for large imports (django-tasks; ``manage.py db_worker`` runs them)."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.utils.translation import gettext
from django_tasks import task

from ..errors import BusinessRuleError
from ..models import ImportBatch
from . import batches

logger = logging.getLogger(__name__)

CRASHED = (
    "The import stopped with an unexpected error; nothing was written. (%(error)s)"
)


@task()
def run_import_batch(batch_id: int, step: str, user_id: int) -> str:
    """Check (``step="check"``) or import (``step="import"``) a batch."""
    batch = ImportBatch.objects.get(pk=batch_id)
    user = get_user_model().objects.get(pk=user_id)
    try:
        if step == "check":
            batch = batches.import_batch_check(batch=batch, acting_user=user)
        else:
            batch = batches.import_batch_confirm(batch=batch, acting_user=user)
    except BusinessRuleError as exc:
        return str(exc)
    except Exception as exc:  # a crash must not leave the batch spinning
        logger.exception("import #%s failed", batch_id)
        batches.import_batch_fail(
            batch, gettext(CRASHED) % {"error": type(exc).__name__}
        )
        raise
    return batch.status
