from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.auth import LoginForm as WagtailLoginForm
from wagtail.users.forms import UserCreationForm, UserEditForm

from .auth import account_status_refusal
from .roles import AccountStatus, Role


class AccountStatusLoginMixin:
    """Tell pending and suspended users why they cannot sign in."""

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            reason = account_status_refusal(
                self.cleaned_data.get("username"), self.cleaned_data.get("password")
            )
            if reason:
                raise forms.ValidationError(reason, code="account_status") from None
            raise


class LoginForm(AccountStatusLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(AccountStatusLoginMixin, WagtailLoginForm):
    pass


class CampusdeskUserCreationForm(UserCreationForm):
    role = forms.ChoiceField(
        label=_("Role"), choices=Role.choices, initial=Role.STUDENT
    )

    class Meta(UserCreationForm.Meta):
        fields = UserCreationForm.Meta.fields | {"role"}


class CampusdeskUserEditForm(UserEditForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    account_status = forms.ChoiceField(
        label=_("Account status"), choices=AccountStatus.choices
    )

    class Meta(UserEditForm.Meta):
        fields = UserEditForm.Meta.fields | {
            "role",
            "account_status",
            "admission_status",
        }
