"""The institute's roles: their groups, model permissions and account rules.

Each role is a Django group holding the model-level permissions in
``ROLE_PERMISSIONS``. Object-level rights (which departments, which classes)
are django-guardian permissions handled by the permission policy.
"""

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS, models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STUDENT = "student", _("Student")
    CAPTAIN = "captain", _("Captain")
    TEACHER = "teacher", _("Teacher")
    REGISTRAR = "registrar", _("Registrar")
    INSTITUTE_HEAD = "institute_head", _("Institute head")


class AccountStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")


class AdmissionStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


# Group names are stored in the database, so they are plain English strings;
# the admin shows them through ROLE_LABELS where a translation is wanted.
ROLE_GROUP_NAMES: dict[str, str] = {
    Role.STUDENT: "Students",
    Role.CAPTAIN: "Captains",
    Role.TEACHER: "Teachers",
    Role.REGISTRAR: "Registrars",
    Role.INSTITUTE_HEAD: "Institute heads",
}

STAFF_ROLES = frozenset({Role.TEACHER, Role.REGISTRAR, Role.INSTITUTE_HEAD})


def role_permissions(role: str) -> list[str]:
    """The model permissions of a role's group: derived from the rules table."""
    from .permissions import model_permissions_for_role

    return model_permissions_for_role(role)


def initial_account_status(role: str) -> str:
    """Property 1: students and captains start active, teachers pending.

    Registrars and institute heads are created by an administrator and start
    active.
    """
    if role == Role.TEACHER:
        return AccountStatus.PENDING
    return AccountStatus.ACTIVE


def sync_role_groups(*, apps=global_apps, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the role groups and give each exactly its listed permissions."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, group_name in ROLE_GROUP_NAMES.items():
        group, _created = Group.objects.using(using).get_or_create(name=group_name)
        wanted = role_permissions(role)
        perms = []
        for dotted in wanted:
            app_label, codename = dotted.split(".", 1)
            perms.extend(
                Permission.objects.using(using).filter(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group.permissions.set(perms)


def sync_role_groups_after_migrate(
    sender, *, using=DEFAULT_DB_ALIAS, apps=global_apps, **kwargs
):
    """Re-sync the role groups after every migrate.

    Our receiver may run before auth's own post_migrate handler has created the
    permissions of new models, so create them first (it is idempotent).
    """
    from django.contrib.auth.management import create_permissions

    try:
        apps.get_model("auth", "Group")
        apps.get_model("auth", "Permission")
    except LookupError:  # auth not migrated in this (partial) migration plan
        return
    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
    sync_role_groups(apps=apps, using=using)
