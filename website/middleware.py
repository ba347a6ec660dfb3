from django.shortcuts import render
from django.urls import reverse


class AdminAccessMiddleware:
    """Signed-in users without back-office rights get a clear 403 page.

    Without this, Wagtail sends them back to its login form, which looks like
    a failed sign-in to a student who just signed in.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            admin_root = reverse("wagtailadmin_home")
            open_paths = {reverse("wagtailadmin_login"), reverse("wagtailadmin_logout")}
            if (
                request.path.startswith(admin_root)
                and request.path not in open_paths
                and not user.has_perm("wagtailadmin.access_admin")
            ):
                return render(request, "403_admin.html", status=403)
        return self.get_response(request)
