"""Schemathesis fuzzes every API operation, signed in as each role (docs/api/testing.md).

The schema comes from the app itself (``/api/v1/schema/``), so operations added
later are fuzzed without touching this file. For each role (anonymous, student,
captain, teacher, registrar, institute head) and each operation, schemathesis
generates valid and invalid requests (derandomized: CI is reproducible), the
Django app answers them in-process, and every answer must:

- not be a server error (5xx);
- have a status code the operation documents;
- have the content type and the headers the schema gives for that status;
- have a body that matches the schema.

Signed-in roles use an API token (``Authorization: Token <key>``), so CSRF does
not apply; the anonymous role sends no credentials. Every request carries a
matching CSRF cookie and header, as a browser's would. Each request runs in a
savepoint rolled back after it (tests/api/fuzz_support.py), so no request spoils
the next one and nothing has to be excluded for that reason.

How many requests each role made is given at the end of the run in pytest's
warnings summary (``FuzzSummary``): the one channel pytest shows with ``-q`` and
under xdist, which ``make test`` uses.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework.throttling import SimpleRateThrottle
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import assert_error
from tests.api.fuzz_support import (
    ROLES,
    InProcessApp,
    RealIds,
    build_fuzz_institute,
    token_headers,
)

SCHEMA_PATH = "/api/v1/schema/?format=json"

# Examples per operation, per generation mode (valid and invalid data), per role.
# CAMPUSDESK_FUZZ_EXAMPLES=50 fuzzes harder locally; CI keeps the small default.
MAX_EXAMPLES = int(os.environ.get("CAMPUSDESK_FUZZ_EXAMPLES", "3"))
# CAMPUSDESK_FUZZ_TRACE=1 (with pytest -s) prints each operation's requests and time.
TRACE = os.environ.get("CAMPUSDESK_FUZZ_TRACE", "") not in ("", "0")

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

# Every request carries a matching CSRF cookie and header, as a browser's
# would: sign-in and registration then answer for their input, not for a
# missing CSRF token (token requests do not need it).
CSRF_SECRET = "fuzz" * 8

# "METHOD /path" -> why it is not fuzzed. Keep it short: every exclusion is an
# operation whose answers nobody checks (docs/api/testing.md lists them).
EXCLUDED: dict[str, str] = {}


# Half of the valid integer ids (the even ones) are swapped for the id of a
# real record of the right kind (fuzz_support.RealIds), so requests reach real
# records and their scoping; the other half stay as generated.
ID_FIELDS = {
    "id",
    "department",
    "session",
    "student",
    "routine",
    "subject",
    "teacher",
    "user",
    "application",
}


def _is_even_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value % 2 == 0


def aim_at_real_ids(case, real_ids: RealIds) -> None:
    """Integer path parameters; id-like query parameters and body fields."""
    for name, value in (case.path_parameters or {}).items():
        if _is_even_int(value):
            kind = RealIds.owner_of(case.operation.path, name)
            case.path_parameters[name] = real_ids.pick(kind, value // 2)
    for container in (case.query, case.body):
        if isinstance(container, dict):
            for name in ID_FIELDS & set(container):
                if _is_even_int(container[name]):
                    container[name] = real_ids.pick(name, container[name] // 2)


class FuzzSummary(UserWarning):
    """The fuzz run's numbers, shown in pytest's warnings summary."""


@pytest.fixture
def no_throttling(settings, monkeypatch):
    """Rates no fuzz run reaches: throttling must not answer for the app.

    (DRF's per-client rates; sign-in lockout and registration, which count at
    the ``login_*`` rates; the admission and signup forms' hourly limit.)
    """
    rates = {
        "anon": "1000000/hour",
        "user": "1000000/hour",
        "login_ip": "1000000/hour",
        "login_account": "1000000/hour",
    }
    settings.CAMPUSDESK_ADMISSION_RATE_PER_HOUR = 1000000  # the public forms' limit
    rest = {**settings.REST_FRAMEWORK}
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], **rates}
    settings.REST_FRAMEWORK = rest
    # DRF's throttles read their rates once, at import.
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**SimpleRateThrottle.THROTTLE_RATES, **rates},
    )


# The schema, and each operation's strategies, are the same for every role:
# made once per process (a worker runs several roles), which saves the
# schema's generation and the strategies' construction.
_loaded: dict = {}


def load_schema(app):
    """The app's own schema, from ``GET /api/v1/schema/`` answered in-process."""
    if "schema" not in _loaded:
        _loaded["schema"] = schemathesis.openapi.from_wsgi(
            SCHEMA_PATH, app, config=schemathesis.Config()
        )
    schema = _loaded["schema"]
    schema.app = app
    return schema


def strategy_for(operation, mode: GenerationMode):
    key = (_operation_key(operation), mode)
    if key not in _loaded:
        _loaded[key] = operation.as_strategy(generation_mode=mode)
    return _loaded[key]


def _operation_key(operation) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _describe(response, failure: FailureGroup, errors: list[str]) -> str:
    request = response.request
    lines = [
        f"{request.method} {request.url}",
        f"  request body: {_clip(request.body)}",
        f"  -> {response.status_code}: {_clip(response.content)}",
    ]
    for item in failure.exceptions:
        lines.append(f"  * {item.title}: {_clip(getattr(item, 'message', ''), 600)}")
    for error in errors:
        lines.append(
            "  server traceback:\n    " + error.strip()[-2000:].replace("\n", "\n    ")
        )
    return "\n".join(lines)


def _clip(value, limit: int = 300) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


@dataclass
class FuzzRun:
    """One role's run: requests counted per operation, failures collected.

    Failures are collected rather than raised: Hypothesis would shrink a raised
    failure (unbounded time), and one report lists every broken operation.
    """

    app: InProcessApp
    headers: dict
    anonymous: bool
    real_ids: RealIds
    failures: dict = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)

    def operation(self, operation) -> None:
        for mode in _modes(operation):
            started = time.monotonic()
            try:
                self._given(operation, mode)()
            except Unsatisfiable:
                # Nothing of this operation can be made invalid (schemathesis's
                # own runner skips such an operation in that mode too).
                if mode is not GenerationMode.NEGATIVE:
                    raise
            if TRACE:
                print(
                    f"  {_operation_key(operation):60} {mode.value:8} "
                    f"{time.monotonic() - started:5.2f}s",
                    file=sys.stderr,
                )

    def _given(self, operation, mode):
        @given(case=strategy_for(operation, mode))
        @hypothesis_settings(
            max_examples=MAX_EXAMPLES,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            self.send(case, mode)

        return run

    def send(self, case, mode: GenerationMode) -> None:
        if self.anonymous and case.headers:
            case.headers.pop("Authorization", None)
        if mode is GenerationMode.POSITIVE:
            aim_at_real_ids(case, self.real_ids)
        response = case.call(
            app=self.app,
            headers={**self.headers, "X-CSRFToken": CSRF_SECRET},
            cookies={"csrftoken": CSRF_SECRET},
        )
        key = _operation_key(case.operation)
        self.counts[key] += 1
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as failure:
            titles = tuple(sorted({item.title for item in failure.exceptions}))
            self.failures.setdefault(
                (key, mode.value, titles),
                _describe(response, failure, list(self.app.errors)),
            )


def _modes(operation) -> list[GenerationMode]:
    """Invalid data needs something to be invalid: a parameter or a body."""
    has_input = any(
        len(group)
        for group in (
            operation.path_parameters,
            operation.query,
            operation.headers,
            operation.cookies,
            operation.body,
        )
    )
    if has_input:
        return [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    return [GenerationMode.POSITIVE]


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_its_schema_says(role, db, no_throttling):
    started = time.monotonic()
    institute = build_fuzz_institute()
    headers = {} if role == "anonymous" else token_headers(institute.users[role])
    real_ids = RealIds()
    if TRACE:
        print(
            f"{role}: institute built in {time.monotonic() - started:.1f}s",
            file=sys.stderr,
        )
    with InProcessApp() as app:
        schema = load_schema(app)
        app.statuses.clear()  # count the fuzz requests' answers only
        operations = [result.ok() for result in schema.get_all_operations()]
        assert operations, "the schema lists no operations"
        fuzzed = [op for op in operations if _operation_key(op) not in EXCLUDED]
        run = FuzzRun(app, headers, role == "anonymous", real_ids)
        for operation in fuzzed:
            run.operation(operation)
    elapsed = time.monotonic() - started
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(app.statuses.items()))
    warnings.warn(
        FuzzSummary(
            f"schemathesis fuzz as {role}: {sum(run.counts.values())} requests over "
            f"{len(fuzzed)} operations ({len(operations) - len(fuzzed)} excluded) "
            f"in {elapsed:.0f}s; statuses {statuses}; {len(run.failures)} failure(s)"
        ),
        stacklevel=1,
    )
    if run.failures:
        pytest.fail(
            f"{len(run.failures)} schema failure(s) as {role}:\n\n"
            + "\n\n".join(
                f"[{key} | {mode} | {', '.join(titles)}]\n{text}"
                for (key, mode, titles), text in sorted(run.failures.items())
            ),
            pytrace=False,
        )


@pytest.mark.parametrize(
    "path", ["/api/v1/students/%0A/", "/api/v1/teachers/%0A/", "/api/v1/x%0Ay/"]
)
def test_a_path_with_a_newline_is_a_404_in_the_api_format(api, db, path):
    """Found by the fuzz run: the catch-all's "." did not match a newline, so
    such paths fell through to the site's HTML 404 page."""
    response = api.get(path)
    assert response["Content-Type"] == "application/json"
    assert_error(response, 404)
