from django.db import migrations

INTRO = (
    "<p>Welcome to the institute's Campusdesk. Applicants find the admission form "
    "here; students, teachers and staff sign in to their own pages.</p>"
)


def create_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    Site = apps.get_model("wagtailcore.Site")
    HomePage = apps.get_model("website.HomePage")

    # Replace Wagtail's placeholder page (wagtailcore.0002_initial_data).
    Locale = apps.get_model("wagtailcore.Locale")
    page_content_type = ContentType.objects.get(model="page", app_label="wagtailcore")
    placeholder = Page.objects.filter(content_type=page_content_type, slug="home", depth=2)
    locale = (
        placeholder.first().locale
        if placeholder.exists()
        else Locale.objects.order_by("pk").first()
    )
    placeholder.delete()

    homepage_content_type, __ = ContentType.objects.get_or_create(
        model="homepage", app_label="website"
    )
    homepage = HomePage.objects.create(
        title="Campusdesk Polytechnic Institute",
        draft_title="Campusdesk Polytechnic Institute",
        slug="home",
        content_type=homepage_content_type,
        path="00010001",
        depth=2,
        numchild=0,
        url_path="/home/",
        intro=INTRO,
        locale=locale,
    )
    Site.objects.create(hostname="localhost", root_page=homepage, is_default_site=True)


def remove_homepage(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    HomePage = apps.get_model("website.HomePage")
    HomePage.objects.filter(slug="home", depth=2).delete()
    ContentType.objects.filter(model="homepage", app_label="website").delete()


class Migration(migrations.Migration):
    dependencies = [("website", "0001_initial")]
    operations = [migrations.RunPython(create_homepage, remove_homepage)]
