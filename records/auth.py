"""Sign-in rules: only active accounts may sign in, and others are told why."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext_lazy as _

from .roles import AccountStatus

ACCOUNT_STATUS_MESSAGES = {
    AccountStatus.PENDING: _(
        "Your account is waiting for approval by the institute. "
        "You can sign in as soon as it has been approved."
    ),
    AccountStatus.SUSPENDED: _(
        "Your account has been suspended. Please contact the registrar's office."
    ),
}


class AccountStatusBackend(ModelBackend):
    """Django's model backend that also refuses pending and suspended accounts.

    Because ``get_user`` uses the same check, suspending an account also ends
    the sessions it already has.
    """

    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and (
            getattr(user, "account_status", AccountStatus.ACTIVE)
            == AccountStatus.ACTIVE
        )


def account_status_refusal(username: str | None, password: str | None):
    """The plain-words reason a correct password was still refused, or None.

    Only answered for a correct password, so it reveals nothing to someone
    guessing usernames.
    """
    if not username or not password:
        return None
    User = get_user_model()
    try:
        user = User._default_manager.get_by_natural_key(username)
    except User.DoesNotExist:
        return None
    if user.account_status == AccountStatus.ACTIVE or not user.check_password(password):
        return None
    return ACCOUNT_STATUS_MESSAGES.get(user.account_status)
