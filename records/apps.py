from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _
from wagtail.users.apps import WagtailUsersAppConfig


class RecordsConfig(AppConfig):
    default = True
    name = "records"
    verbose_name = _("Institute records")

    def ready(self) -> None:
        from . import lookups  # noqa: F401 - registers field__any
        from .roles import sync_role_groups_after_migrate

        # Permissions of models added by later migrations only exist after
        # post_migrate, so the role groups are re-synced every time.
        post_migrate.connect(sync_role_groups_after_migrate, sender=self)

        # One permission policy for every record model, registered before the
        # admin's viewsets look for one.
        from wagtail.permissions import register_permission_policy

        from .permissions import RECORD_TYPES, RecordPermissionPolicy

        for model_name in RECORD_TYPES:
            model = self.get_model(model_name)
            register_permission_policy(model, RecordPermissionPolicy(model))

        # Every historical row learns the request's IP address and, when its
        # writer gave none, a reason from where it came from (records/history.py).
        from simple_history.signals import pre_create_historical_record

        from .history import history_context_fill

        pre_create_historical_record.connect(
            history_context_fill, dispatch_uid="records_history_context"
        )

        # The dashboards' summary tables follow every per-object save and
        # delete of attendance, marks and students (bulk writes touch them
        # explicitly; records/summaries.py).
        from .summaries import connect_receivers

        connect_receivers()

        # A deleted teacher's slots take their grants back from the account.
        from django.db.models.signals import post_delete, pre_delete

        from .services import teacher_post_delete, teacher_pre_delete

        teacher = self.get_model("Teacher")
        pre_delete.connect(
            teacher_pre_delete, sender=teacher, dispatch_uid="records_teacher_pre_del"
        )
        post_delete.connect(
            teacher_post_delete, sender=teacher, dispatch_uid="records_teacher_del"
        )


class CampusdeskUsersAppConfig(WagtailUsersAppConfig):
    """Wagtail's users app with Campusdesk's user forms (role, account status)."""

    default = False
    user_viewset = "records.viewsets.UserViewSet"
