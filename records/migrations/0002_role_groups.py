"""Create the role groups with their model permissions on a fresh database."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from records.roles import sync_role_groups


def create_role_groups(apps, schema_editor):
    using = schema_editor.connection.alias
    # Permissions are normally created after all migrations (post_migrate);
    # create them now so the groups can hold them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=using)
        app_config.models_module = None
    sync_role_groups(apps=apps, using=using)


def remove_role_groups(apps, schema_editor):
    from records.roles import ROLE_GROUP_NAMES

    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(
        name__in=ROLE_GROUP_NAMES.values()
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("records", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]
    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
