"""Private file storage: student documents and photos.

Files live under ``PRIVATE_MEDIA_ROOT`` and have no public URL; they are only
served by permission-checked views.
"""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


class PrivateStorage(FileSystemStorage):
    def __init__(self, **kwargs):
        kwargs.setdefault("location", settings.PRIVATE_MEDIA_ROOT)
        kwargs["base_url"] = None
        super().__init__(**kwargs)

    def url(self, name):
        raise ValueError("Private files have no public URL; use the download view.")


def private_storage() -> PrivateStorage:
    # A callable keeps the location out of migrations (it is a setting).
    return PrivateStorage()


@deconstructible
class UniqueUploadPath:
    """``<folder>/<kind>/<uuid><extension>``: unique names, one folder per kind."""

    def __init__(self, folder: str):
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        kind = getattr(instance, "kind", "") or "other"
        suffix = PurePosixPath(filename).suffix.lower()[:10]
        return f"{self.folder}/{kind}/{uuid.uuid4().hex}{suffix}"

    def __eq__(self, other):
        return isinstance(other, UniqueUploadPath) and other.folder == self.folder
