"""Per-user API tokens: created from a session, shown once, stored hashed."""

import pytest
from rest_framework.test import APIClient
from wagtail.models import APIToken

from records import services
from records.models import ActivityLog
from records.roles import AccountStatus
from tests.api.conftest import assert_error

TOKENS = "/api/v1/auth/tokens/"


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def new_token(api, student):
    api.force_login(student)
    response = api.post(TOKENS, {"name": "grades script"})
    assert response.status_code == 201, response.content
    return response.json()


@pytest.mark.django_db
def test_create_shows_the_key_once_and_stores_a_hash(api, student, new_token):
    key = new_token["key"]
    assert new_token["name"] == "grades script"
    assert key.startswith(new_token["prefix"])
    stored = APIToken.objects.get(pk=new_token["id"])
    assert stored.user == student
    assert stored.key_hash != key and key not in stored.key_hash
    assert len(stored.key_hash) == 64  # an HMAC-SHA256 hex digest
    listed = api.get(TOKENS).json()["results"]
    assert [t["id"] for t in listed] == [new_token["id"]]
    assert "key" not in listed[0]
    assert ActivityLog.objects.filter(
        entity_type="apitoken", entity_id=str(stored.pk)
    ).exists()


@pytest.mark.django_db
def test_the_key_signs_requests_in(student, new_token):
    client = token_client(new_token["key"])
    me = client.get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["username"] == student.username
    assert APIToken.objects.get(pk=new_token["id"]).last_used_at is not None
    # Bearer, as Wagtail's own API spells it, works too.
    bearer = APIClient()
    bearer.credentials(HTTP_AUTHORIZATION=f"Bearer {new_token['key']}")
    assert bearer.get("/api/v1/auth/me/").status_code == 200
    # A token client needs no CSRF token (no cookie is involved).
    strict = APIClient(enforce_csrf_checks=True)
    strict.credentials(HTTP_AUTHORIZATION=f"Token {new_token['key']}")
    assert strict.post("/api/v1/auth/logout/").status_code == 204


@pytest.mark.django_db
def test_revoked_key_no_longer_works(api, new_token):
    assert api.delete(f"{TOKENS}{new_token['id']}/").status_code == 204
    assert APIToken.objects.get(pk=new_token["id"]).revoked_at is not None
    assert_error(token_client(new_token["key"]).get("/api/v1/auth/me/"), 401)


@pytest.mark.django_db
def test_only_own_tokens_are_listed_and_revoked(api, new_token, head):
    api.force_login(head)
    assert api.get(TOKENS).json()["count"] == 0
    assert_error(api.delete(f"{TOKENS}{new_token['id']}/"), 404)
    assert APIToken.objects.get(pk=new_token["id"]).revoked_at is None


@pytest.mark.django_db
def test_a_token_cannot_make_more_tokens(new_token):
    client = token_client(new_token["key"])
    body = assert_error(client.post(TOKENS, {"name": "copy"}), 403)
    assert "signed-in session" in body["details"]


@pytest.mark.django_db
def test_name_is_required(api, student):
    api.force_login(student)
    body = assert_error(api.post(TOKENS, {}), 400)
    assert "name" in body["field_errors"]


@pytest.mark.django_db
def test_suspending_the_account_stops_its_tokens(student, new_token):
    services.user_set_account_status(
        user=student, account_status=AccountStatus.SUSPENDED
    )
    body = assert_error(token_client(new_token["key"]).get("/api/v1/auth/me/"), 401)
    assert "suspended" in body["details"]
