from wagtail.users.views import users as wagtail_users

from .forms import CampusdeskUserCreationForm, CampusdeskUserEditForm
from .roles import initial_account_status
from .services import user_sync_role_groups


class UserCreateView(wagtail_users.CreateView):
    def save_instance(self):
        # Property 1 holds for accounts made in the admin too.
        self.form.instance.account_status = initial_account_status(
            self.form.cleaned_data["role"]
        )
        user = super().save_instance()
        user_sync_role_groups(user=user)
        return user


class UserEditView(wagtail_users.EditView):
    def save_instance(self):
        user = super().save_instance()
        user_sync_role_groups(user=user)
        return user


class UserViewSet(wagtail_users.UserViewSet):
    add_view_class = UserCreateView
    edit_view_class = UserEditView
    create_template_name = "records/users/create.html"
    edit_template_name = "records/users/edit.html"

    def get_form_class(self, for_update=False):
        return CampusdeskUserEditForm if for_update else CampusdeskUserCreationForm
