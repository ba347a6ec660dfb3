from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class RecordsConfig(AppConfig):
    default = True
    name = "records"
    verbose_name = _("Institute records")

    def ready(self) -> None:
        from .roles import sync_role_groups_after_migrate

        # Permissions of models added by later migrations only exist after
        # post_migrate, so the role groups are re-synced every time.
        post_migrate.connect(sync_role_groups_after_migrate, sender=self)


class CampusdeskUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's users app with Campusdesk's user forms (role, account status)."""

    default = False
    user_viewset = "records.viewsets.UserViewSet"
