"""E-mail to applicants, sent by the task worker (``manage.py db_worker``).

A decision queues its e-mail in the same transaction as the decision itself
(the database task backend writes a row): the message exists exactly when the
decision does, and the request never waits for the mail server. The texts are
made, in the applicant's language, when the e-mail is queued; the worker only
sends them. A failure to send marks the task failed (and is logged by the
worker) instead of passing silently.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django_tasks import task

TOKEN = "TOKEN"  # noqa: S105 - the placeholder the invitation's link carries


@task()
def send_notification(email: str, subject: str, body: str) -> None:
    send_mail(subject, body, None, [email])


@task()
def send_invitation(user_id: int, email: str, subject: str, body: str) -> None:
    """A set-your-password link: its token is made when sending.

    The token depends on the saved account, so it is made from the account as
    it is now; ``body`` carries ``TOKEN`` where the token goes.
    """
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return
    token = default_token_generator.make_token(user)
    send_mail(subject, body.replace(f"/{TOKEN}/", f"/{token}/"), None, [email])
