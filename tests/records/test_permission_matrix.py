"""The permission matrix, generated from ``records.permissions.RULES``.

Every role x every record type x every admin action, for objects inside and
outside the role's scope, through the real admin URLs. One test per role walks
all of its cells and reports every mismatch at once. The fixture institute
(tests/factories/scopes.py) is built once for the module.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import NoReverseMatch, reverse

from records.permissions import (
    ADD,
    ALL,
    CHANGE,
    DELETE,
    DEPARTMENTS,
    EXPORT,
    HISTORY,
    OWN,
    OWN_CLASSES,
    RECORD_TYPES,
    RULES,
    TEACHING,
    VIEW,
)
from tests.factories.scopes import (
    CAPTAIN,
    INSTITUTE_HEAD,
    REGISTRAR_DEPARTMENT,
    REGISTRAR_INSTITUTE,
    ROLE_OF,
    STUDENT,
    TEACHER,
    VIEWSET_OF,
    build_scope_world,
)

pytestmark = pytest.mark.django_db

ROLE_KEYS = [
    INSTITUTE_HEAD,
    REGISTRAR_DEPARTMENT,
    REGISTRAR_INSTITUTE,
    TEACHER,
    CAPTAIN,
    STUDENT,
]
MATRIX_ACTIONS = ("list", "inspect", "add", "change", "delete", "export", "history")
POLICY_ACTION = {
    "list": VIEW,
    "inspect": VIEW,
    "add": ADD,
    "change": CHANGE,
    "delete": DELETE,
    "export": EXPORT,
    "history": HISTORY,
}
URL_NAME = {"inspect": "inspect", "change": "edit", "delete": "delete"}

# Outcomes of a cell.
OK = "200"
HIDDEN = "404"
DENIED = "refused"  # Wagtail's permission-denied redirect, or 403
LOGIN = "to-login"  # redirected to the sign-in page
PRESENT = "present"
ABSENT = "absent"


def matches(expected: str, observed: str) -> bool:
    # Wagtail's inspect, delete and history views load the object before they
    # check the role's model permission, so an action the role lacks entirely
    # answers 404 there: the same for every id, so it is a refusal too.
    if expected == DENIED:
        return observed in (DENIED, LOGIN, HIDDEN)
    return observed == expected


# --- Cells of two bugs this matrix found (now fixed) -----------------------------
# History refused to view-only roles, and teachers reaching another session's
# attendance/marks of the same subject and shift. The per-role tests walk the
# other cells; these cells have their own regression tests below.


def history_bug(cell) -> bool:
    """Wagtail's HistoryView wants add/change/delete, RULES grant history with view."""
    role_key, record, action, label = cell
    if action != "history" or role_key in (CAPTAIN, STUDENT):
        return False
    rules = RULES.get(ROLE_OF[role_key], {}).get(record, {})
    return HISTORY in rules and not ({ADD, CHANGE, DELETE} & rules.keys())


def other_session_bug(cell) -> bool:
    """OWN_CLASSES matches (subject, shift) only, not the slot's class group."""
    role_key, record, action, label = cell
    return (
        role_key == TEACHER
        and record in ("attendancerecord", "marksrecord")
        and label == "A3-other-session"
    )


KNOWN_BUGS = (history_bug, other_session_bug)


def known_bug(cell) -> bool:
    return any(bug(cell) for bug in KNOWN_BUGS)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The institute, built once; rolled back when the module is done."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_scope_world()
        transaction.set_rollback(True)


def reaches(role_key: str, scope: str, record: str, tags) -> bool:
    """Does the scope named in RULES reach an object with these tags?"""
    if scope == ALL:
        return True
    if scope in (DEPARTMENTS, TEACHING):
        if record == "academicsession":  # sessions belong to no department
            return True
        if scope == DEPARTMENTS and role_key == REGISTRAR_INSTITUTE:
            return True
        return "dept_a" in tags
    if scope == OWN_CLASSES:
        return "own_class" in tags
    if scope == OWN:
        return "own" in tags
    raise AssertionError(f"unknown scope {scope!r}")


def rule_scope(role_key: str, record: str, action: str) -> str | None:
    return RULES.get(ROLE_OF[role_key], {}).get(record, {}).get(POLICY_ACTION[action])


def expected_cell(role_key: str, record: str, action: str, obj=None) -> str:
    if role_key in (CAPTAIN, STUDENT):
        return DENIED  # no back office at all (the project answers 403)
    if action == "add" and record == "alumni":
        # Alumni are only made by "Convert to alumni" on a student: the add
        # URL redirects every role to the students listing.
        return DENIED
    scope = rule_scope(role_key, record, action)
    if scope is None:
        return DENIED
    if obj is None:  # add: not about one object
        return OK
    inside = reaches(role_key, scope, record, obj.tags)
    if action in ("list", "export"):
        return PRESENT if inside else ABSENT
    return OK if inside else HIDDEN


def outcome(response) -> str:
    if response.status_code == 200:
        return OK
    if response.status_code == 404:
        return HIDDEN
    if response.status_code == 302:
        if response["Location"].startswith(reverse("wagtailadmin_login")):
            return LOGIN
        return DENIED
    if response.status_code == 403:
        return DENIED
    return f"status {response.status_code}"


def export_cells(response) -> set[str]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return {cell for row in csv.reader(io.StringIO(content)) for cell in row}


def listing_outcomes(client, record, objects, export: bool) -> dict[str, str]:
    """Presence of each object in the listing (or its CSV export)."""
    url = reverse(f"{VIEWSET_OF[record]}:index")
    response = client.get(url, {"export": "csv"} if export else {})
    status = outcome(response)
    if status != OK:
        return {o.label: status for o in objects}
    if export:
        assert response["Content-Type"].startswith("text/csv"), response["Content-Type"]
        cells = export_cells(response)
        return {o.label: PRESENT if o.marker in cells else ABSENT for o in objects}
    shown = {item.pk for item in response.context["object_list"]}
    return {o.label: PRESENT if o.pk in shown else ABSENT for o in objects}


def object_url(record: str, action: str, pk) -> str | None:
    url_name = URL_NAME.get(action, action)
    try:
        return reverse(f"{VIEWSET_OF[record]}:{url_name}", args=[pk])
    except NoReverseMatch:
        return None  # documents are never edited in place: no edit URL


def walk_cells(client, role_key: str, world, wanted=lambda cell: True):
    """Yield (cell, expected, observed) for every wanted cell of one role."""
    for record in RECORD_TYPES:
        objects = world.objects[record]
        for action in MATRIX_ACTIONS:
            if action == "add":
                cell = (role_key, record, action, "-")
                try:
                    add_url = reverse(f"{VIEWSET_OF[record]}:add")
                except NoReverseMatch:
                    continue  # the activity log has no add view at all
                if wanted(cell):
                    response = client.get(add_url)
                    expected = expected_cell(role_key, record, action)
                    yield cell, expected, outcome(response)
                continue
            cells = {
                obj.label: (role_key, record, action, obj.label)
                for obj in objects
                if wanted((role_key, record, action, obj.label))
            }
            if action in ("list", "export") and cells:
                observed = listing_outcomes(
                    client, record, objects, export=action == "export"
                )
            for obj in objects:
                if obj.label not in cells:
                    continue
                if action not in ("list", "export"):
                    url = object_url(record, action, obj.pk)
                    if url is None:
                        continue
                    observed = {obj.label: outcome(client.get(url))}
                expected = expected_cell(role_key, record, action, obj)
                yield cells[obj.label], expected, observed[obj.label]


CELLS_ASSERTED: dict[str, int] = {}


@pytest.mark.parametrize("role_key", ROLE_KEYS)
def test_permission_matrix(world, role_key):
    client = Client()
    client.force_login(world.users[role_key])
    mismatches = []
    asserted = 0
    cells = walk_cells(client, role_key, world, lambda cell: not known_bug(cell))
    for cell, expected, observed in cells:
        asserted += 1
        if not matches(expected, observed):
            mismatches.append(f"{cell}: expected {expected}, got {observed}")
    CELLS_ASSERTED[role_key] = asserted
    # Every record type and action was reached for this role.
    assert asserted >= len(RECORD_TYPES) * len(MATRIX_ACTIONS)
    assert not mismatches, f"{len(mismatches)} of {asserted} cells:\n" + "\n".join(
        mismatches
    )


def assert_bug_cells(world, bug) -> None:
    mismatches, asserted = [], 0
    for role_key in ROLE_KEYS:
        client = Client()
        client.force_login(world.users[role_key])
        for cell, expected, observed in walk_cells(client, role_key, world, bug):
            asserted += 1
            if not matches(expected, observed):
                mismatches.append(f"{cell}: expected {expected}, got {observed}")
    assert asserted
    assert not mismatches, "\n".join(mismatches)


def test_history_follows_the_rules_for_read_only_roles(world):
    assert_bug_cells(world, history_bug)


def test_teacher_reaches_only_the_class_group_of_their_slot(world):
    assert_bug_cells(world, other_session_bug)


# --- Guessed ids ----------------------------------------------------------------------

_SCOPED = [r for r in RECORD_TYPES if r != "academicsession"]
GUESSES = [
    *[(REGISTRAR_DEPARTMENT, record, "B") for record in _SCOPED],
    *[
        (TEACHER, record, "B")
        for record in ("department", "subject", "teacher", "student", "classroutine")
    ],
    *[
        (TEACHER, record, label)
        for record in ("attendancerecord", "marksrecord")
        for label in ("A2", "B")
    ],
    *[
        (TEACHER, record, "A3-other-session")
        for record in ("attendancerecord", "marksrecord")
    ],
]


@pytest.mark.parametrize(("role_key", "record", "label"), GUESSES)
def test_guessed_ids_outside_the_scope_are_refused(world, role_key, record, label):
    obj = world.object(record, label)
    model = type(obj.instance)
    before = model_to_dict(model._default_manager.get(pk=obj.pk))
    client = Client()
    client.force_login(world.users[role_key])
    problems = []

    def check(method, action, url, data=None):
        response = getattr(client, method)(url, data or {})
        observed = outcome(response)
        # 404 where the role has the action: the id's existence must not leak.
        wanted = (
            (HIDDEN,)
            if rule_scope(role_key, record, action)
            else (
                HIDDEN,
                DENIED,
            )
        )
        if observed not in wanted:
            problems.append(f"{method.upper()} {url}: {observed}")

    for action in ("inspect", "change", "delete", "history"):
        if url := object_url(record, action, obj.pk):
            check("get", action, url)
    for action in ("change", "delete"):
        if url := object_url(record, action, obj.pk):
            check("post", action, url, {"name": "guessed", "notes": "guessed"})
    if record == "document":
        url = reverse("records:document_download", args=[obj.pk])
        if (status := client.get(url).status_code) != 404:
            problems.append(f"GET {url}: {status}")
    for export in (False, True):
        if listing_outcomes(client, record, [obj], export=export)[label] == PRESENT:
            problems.append(f"{'export' if export else 'listing'} shows it")

    after = model._default_manager.filter(pk=obj.pk).first()
    assert after is not None, "the guessed POST deleted the record"
    assert model_to_dict(after) == before
    assert not problems, problems
