"""Who holds which object permissions, and why a user may or may not act.

The reads behind the admin's Access screen (``access_views.py``) and its one
write, a registrar's departments. Captains are appointed and dismissed with
``services.captain_appoint`` / ``services.captain_dismiss``; a routine's
teacher is changed on the routine itself. The grants follow their cause.

``explain`` answers "why can't X see this?" in plain words. It walks the same
checks as ``permissions.user_can`` in the same order, and its verdict is the
policy's answer (tests check the two agree on a grid of users, records and
actions).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.apps import apps
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, Q
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import services
from .models import (
    AcademicSession,
    ClassRoutine,
    ClassRoutineUserObjectPermission,
    Department,
    Semester,
    Shift,
    Student,
    StudentStatus,
    Subject,
    Teacher,
    User,
)
from .permissions import ACTIONS as MODEL_ACTIONS
from .permissions import (
    ALL,
    BASE_ACTION,
    DEPARTMENT_PATH,
    DEPARTMENTS,
    ENTER_MARKS,
    OWN,
    OWN_CLASSES,
    RECORD_TYPES,
    RULES,
    SCOPE_LABELS,
    TAKE_ATTENDANCE,
    TEACHING,
    forget_scope,
    scope_q,
    user_can,
    user_scope,
)
from .roles import ROLE_GROUP_NAMES, AccountStatus, Role

ROUTINE_PERMS = (TAKE_ATTENDANCE, ENTER_MARKS)
EXPLAINED_ACTIONS = (*MODEL_ACTIONS, TAKE_ATTENDANCE, ENTER_MARKS)
ACTION_LABELS = {
    "view": _("view"),
    "add": _("add"),
    "change": _("change"),
    "delete": _("delete"),
    "export": _("export"),
    "history": _("see the history of"),
    TAKE_ATTENDANCE: _("take attendance for"),
    ENTER_MARKS: _("enter marks for"),
}
PERMISSION_LABELS = {
    TAKE_ATTENDANCE: _("take attendance"),
    ENTER_MARKS: _("enter marks"),
}

# How many names a sentence lists before it says "and N more".
LIST_LIMIT = 8


# --- Who may use the Access screen ----------------------------------------------------


def can_view_access(user) -> bool:
    """Institute heads, registrars and superusers see who holds what."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (
            user.is_superuser
            or getattr(user, "role", None) in (Role.INSTITUTE_HEAD, Role.REGISTRAR)
        )
    )


def can_edit_access(user) -> bool:
    """Only institute heads (and superusers) change who holds what."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "role", None) == Role.INSTITUTE_HEAD)
    )


# --- Registrars -------------------------------------------------------------------------


@dataclass
class RegistrarScope:
    user: User
    all_departments: bool
    departments: list[Department]
    student_count: int

    @property
    def label(self) -> str:
        if self.all_departments:
            return gettext("All departments (institute-wide)")
        if not self.departments:
            return gettext("No department yet")
        return ", ".join(d.name for d in self.departments)


def registrar_scopes(registrars: Iterable[User] | None = None) -> list[RegistrarScope]:
    """Every registrar with their departments and the students they reach."""
    if registrars is None:
        registrars = User.objects.filter(role=Role.REGISTRAR).order_by("username")
    registrars = list(registrars)
    everywhere = set(
        User.objects.filter(
            Q(pk__in=[u.pk for u in registrars])
            & (
                Q(
                    user_permissions__codename="manage_all_departments",
                    user_permissions__content_type__app_label="records",
                )
                | Q(
                    groups__permissions__codename="manage_all_departments",
                    groups__permissions__content_type__app_label="records",
                )
            )
        ).values_list("pk", flat=True)
    )
    held: dict[int, set[int]] = defaultdict(set)
    for user_id, department_id in (
        apps.get_model("records", "DepartmentUserObjectPermission")
        .objects.filter(
            user__in=[u.pk for u in registrars],
            permission__codename="manage_department",
        )
        .values_list("user_id", "content_object_id")
    ):
        held[user_id].add(department_id)
    departments = {d.pk: d for d in Department.objects.order_by("name")}
    per_department = dict(
        Student.objects.values_list("department").annotate(n=Count("pk"))
    )
    total = sum(per_department.values())
    scopes = []
    for user in registrars:
        if user.pk in everywhere or user.is_superuser:
            scopes.append(RegistrarScope(user, True, [], total))
            continue
        mine = [d for pk, d in departments.items() if pk in held[user.pk]]
        count = sum(per_department.get(d.pk, 0) for d in mine)
        scopes.append(RegistrarScope(user, False, mine, count))
    return scopes


@transaction.atomic
def registrar_scope_set(
    *,
    registrar: User,
    departments: Iterable[Department],
    all_departments: bool,
    acting_user: User,
) -> RegistrarScope:
    """The head sets a registrar's scope: institute-wide, or exactly these departments.

    An institute-wide registrar keeps no department list, so turning
    institute-wide off later starts from nothing rather than from a stale list.
    """
    user = services.registrar_set_departments(
        user=registrar,
        departments=[] if all_departments else list(departments),
        all_departments=all_departments,
        acting_user=acting_user,
    )
    return registrar_scopes([user])[0]


# --- Class permissions ------------------------------------------------------------------


def class_group_label(*, department, semester: int, shift: str) -> str:
    return f"{department.code} {Semester(semester).label} {Shift(shift).label}"


@dataclass
class Holder:
    user: User
    perms: list[str]
    reason: str
    has_cause: bool


@dataclass
class RoutineGrants:
    routine: ClassRoutine
    holders: list[Holder] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ClassGroupGrants:
    key: tuple
    label: str
    session_name: str
    captains: list[Student] = field(default_factory=list)
    candidates: list[Student] = field(default_factory=list)
    routines: list[RoutineGrants] = field(default_factory=list)


def _group_key(obj) -> tuple:
    return (obj.department_id, obj.semester, obj.shift, obj.session_id)


def class_grants(routines) -> list[ClassGroupGrants]:
    """Who holds attendance and marks rights on each slot, and why, by class group."""
    routines = list(
        routines.select_related("department", "session", "subject", "teacher__user")
    )
    keys = {_group_key(r) for r in routines}
    group_filter = Q(pk__in=[])
    for department_id, semester, shift, session_id in keys:
        group_filter |= Q(
            department_id=department_id,
            semester=semester,
            shift=shift,
            session_id=session_id,
        )
    students_by_group: dict[tuple, list[Student]] = defaultdict(list)
    for student in (
        Student.objects.filter(group_filter, status=StudentStatus.ACTIVE)
        .exclude(user=None)
        .select_related("user")
        .order_by("current_roll_number")
    ):
        students_by_group[_group_key(student)].append(student)
    captain_user_ids = {
        s.user_id: _group_key(s)
        for group in students_by_group.values()
        for s in group
        if s.user.role == Role.CAPTAIN
    }

    grants: dict[int, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    rows = ClassRoutineUserObjectPermission.objects.filter(
        content_object__in=[r.pk for r in routines],
        permission__codename__in=ROUTINE_PERMS,
    ).values_list("content_object_id", "user_id", "permission__codename")
    for routine_id, user_id, codename in rows:
        grants[routine_id][user_id].append(codename)
    users = {
        u.pk: u
        for u in User.objects.filter(
            pk__in={uid for g in grants.values() for uid in g}
        ).order_by("username")
    }

    groups: dict[tuple, ClassGroupGrants] = {}
    for routine in routines:
        key = _group_key(routine)
        group = groups.get(key)
        if group is None:
            members = students_by_group.get(key, [])
            group = groups[key] = ClassGroupGrants(
                key=key,
                label=class_group_label(
                    department=routine.department,
                    semester=routine.semester,
                    shift=routine.shift,
                ),
                session_name=routine.session.name,
                captains=[s for s in members if s.user.role == Role.CAPTAIN],
                candidates=[s for s in members if s.user.role == Role.STUDENT],
            )
        row = RoutineGrants(routine=routine)
        teacher_user_id = routine.teacher.user_id if routine.teacher else None
        for user_id, perms in sorted(
            grants.get(routine.pk, {}).items(),
            key=lambda item: users[item[0]].get_username(),
        ):
            user = users[user_id]
            if user_id == teacher_user_id:
                reason, has_cause = gettext("the teacher of this class"), True
            elif captain_user_ids.get(user_id) == key:
                reason, has_cause = (
                    gettext("captain of %(group)s") % {"group": group.label},
                    True,
                )
            else:
                reason, has_cause = (
                    gettext(
                        "no current cause: removed when the class's grants are next synced"
                    ),
                    False,
                )
            labels = [str(PERMISSION_LABELS[p]) for p in ROUTINE_PERMS if p in perms]
            row.holders.append(Holder(user, labels, reason, has_cause))
        if routine.teacher is None:
            row.notes.append(
                gettext("No teacher is assigned, so no teacher holds these rights.")
            )
        elif teacher_user_id is None:
            row.notes.append(
                gettext(
                    "%(teacher)s has no sign-in account, so nobody holds the "
                    "teacher's rights for this class."
                )
                % {"teacher": routine.teacher}
            )
        group.routines.append(row)
    return list(groups.values())


def captain_candidates():
    """Students who could be appointed captain: active, with a student account."""
    return Student.objects.filter(
        status=StudentStatus.ACTIVE, user__role=Role.STUDENT, user__is_active=True
    )


def current_captains():
    return Student.objects.filter(user__role=Role.CAPTAIN)


# --- Why can't X see this? -------------------------------------------------------------


class Step(NamedTuple):
    ok: bool
    sentence: str


def record_model(record: str):
    """The model of a record type named in ``RECORD_TYPES`` (LookupError otherwise)."""
    if record not in RECORD_TYPES:
        raise LookupError(record)
    return apps.get_model("records", record)


def _names(items: list[str]) -> str:
    shown = items[:LIST_LIMIT]
    text = ", ".join(shown)
    if len(items) > LIST_LIMIT:
        text += " " + gettext("and %(count)d more") % {"count": len(items) - LIST_LIMIT}
    return text


def _department_names(ids) -> list[str]:
    return [
        f"{d.code} ({d.name})"
        for d in Department.objects.filter(pk__in=ids).order_by("code")
    ]


def _class_names(pairs) -> list[str]:
    subjects = Subject.objects.in_bulk({subject_id for subject_id, *_rest in pairs})
    sessions = AcademicSession.objects.in_bulk({session for *_rest, session in pairs})
    return sorted(
        gettext("%(subject)s, %(shift)s shift, %(session)s")
        % {
            "subject": subjects[s],
            "shift": Shift(shift).label,
            "session": sessions.get(session, ""),
        }
        for s, shift, session in pairs
        if s in subjects
    )


def _routine_names(ids) -> list[str]:
    return [
        str(r)
        for r in ClassRoutine.objects.filter(pk__in=ids).select_related(
            "department", "subject"
        )
    ]


def _role_label(role: str) -> str:
    return str(Role(role).label) if role in Role.values else role


def _status_label(status: str) -> str:
    return (
        str(AccountStatus(status).label) if status in AccountStatus.values else status
    )


def explain(user, action: str, instance) -> list[Step]:
    """Why ``user`` may or may not take ``action`` on ``instance``, step by step.

    Returns ``Step(ok, sentence)`` items; the last one is the verdict, and its
    ``ok`` is ``permissions.user_can(user, action, instance)``.
    """
    model = type(instance)
    record = model._meta.model_name
    plural = str(model._meta.verbose_name_plural)
    thing = f"{model._meta.verbose_name} “{instance}”"
    name = user.get_username()
    role = getattr(user, "role", "")
    role_label = _role_label(role)
    action_label = str(ACTION_LABELS.get(action, action))
    steps: list[Step] = []

    def finish(verdict: bool, why: str) -> list[Step]:
        policy = user_can(user, action, instance)
        if policy != verdict:  # pragma: no cover - the tests keep these equal
            steps.append(
                Step(
                    policy,
                    gettext(
                        "The explanation above disagrees with the permission "
                        "policy; the policy's answer is shown. Please report this."
                    ),
                )
            )
            verdict = policy
        if verdict:
            sentence = gettext("Verdict: yes, %(user)s may %(action)s %(thing)s.")
        else:
            sentence = gettext("Verdict: no, %(user)s may not %(action)s %(thing)s.")
        sentence = sentence % {"user": name, "action": action_label, "thing": thing}
        if why:
            sentence += " " + why
        if verdict and getattr(user, "account_status", AccountStatus.ACTIVE) != (
            AccountStatus.ACTIVE
        ):
            sentence += " " + gettext(
                "But they cannot sign in until their account is active."
            )
        steps.append(Step(verdict, sentence))
        return steps

    # 1. The account.
    status = getattr(user, "account_status", AccountStatus.ACTIVE)
    if not user.is_active:
        steps.append(
            Step(
                False,
                gettext(
                    "%(user)s's account is switched off (not active), so the "
                    "policy gives it nothing."
                )
                % {"user": name},
            )
        )
        return finish(False, gettext("The account is switched off."))
    sentence = gettext("%(user)s is a %(role)s; account status: %(status)s.") % {
        "user": name,
        "role": role_label,
        "status": _status_label(status),
    }
    if status != AccountStatus.ACTIVE:
        sentence += " " + gettext(
            "An account that is not active cannot sign in, whatever the rules say."
        )
    steps.append(Step(status == AccountStatus.ACTIVE, sentence))
    if user.is_superuser:
        steps.append(
            Step(
                True,
                gettext(
                    "%(user)s is a superuser: the rules and scopes below do not "
                    "apply, a superuser may do everything."
                )
                % {"user": name},
            )
        )
        return finish(True, gettext("Superusers may do everything."))

    # 2. The rules table: does the role have this action on this record type?
    role_rules = RULES.get(role, {}).get(record, {})
    scope_name = role_rules.get(action)
    if scope_name is None:
        if role_rules:
            others = ", ".join(str(ACTION_LABELS.get(a, a)) for a in role_rules)
            extra = gettext("On %(plural)s the role may only: %(actions)s.") % {
                "plural": plural,
                "actions": others,
            }
        else:
            extra = gettext("The role has no rights on %(plural)s at all.") % {
                "plural": plural
            }
        steps.append(
            Step(
                False,
                gettext("The rules do not let a %(role)s %(action)s %(plural)s.")
                % {"role": role_label, "action": action_label, "plural": plural}
                + " "
                + extra,
            )
        )
        rules_ok = False
    else:
        steps.append(
            Step(
                True,
                gettext(
                    "The rules let a %(role)s %(action)s %(plural)s, within: %(scope)s."
                )
                % {
                    "role": role_label,
                    "action": action_label,
                    "plural": plural,
                    "scope": SCOPE_LABELS[scope_name],
                },
            )
        )
        rules_ok = True

    # 3. The model permission, held through the role's group.
    base = BASE_ACTION.get(action, action)
    if base in ("view", "add", "change", "delete"):
        perm = f"records.{base}_{record}"
        model_ok = user.has_perm(perm)
        via = list(
            Group.objects.filter(
                user=user,
                permissions__codename=f"{base}_{record}",
                permissions__content_type__app_label="records",
            )
            .order_by("name")
            .values_list("name", flat=True)
        )
        needs = ""
        if base != action:
            needs = gettext("(%(action)s needs the view permission) ") % {
                "action": action_label
            }
        if model_ok:
            source = (
                gettext("through the group %(groups)s") % {"groups": ", ".join(via)}
                if via
                else gettext("given to the account directly")
            )
            sentence = gettext(
                "%(user)s holds the Django permission %(perm)s %(needs)s%(source)s."
            ) % {"user": name, "perm": perm, "needs": needs, "source": source}
        else:
            group_name = ROLE_GROUP_NAMES.get(role, "")
            sentence = gettext(
                "%(user)s does not hold the Django permission %(perm)s %(needs)s"
                "(the %(group)s group does not give it)."
            ) % {"user": name, "perm": perm, "needs": needs, "group": group_name}
            if group_name and not user.groups.filter(name=group_name).exists():
                sentence += " " + gettext(
                    "They are not even in the %(group)s group: saving the account "
                    "again puts them in their role's group."
                ) % {"group": group_name}
        steps.append(Step(model_ok, sentence))
    else:
        model_ok = True
        steps.append(
            Step(
                True,
                gettext(
                    "To %(action)s a class needs no model permission: it is "
                    "granted class by class."
                )
                % {"action": action_label},
            )
        )

    if not rules_ok:
        return finish(False, gettext("The rules do not allow it for this role."))

    # 4. What the scope holds for this user.
    forget_scope(user)
    scope = user_scope(user)
    has_department = DEPARTMENT_PATH[record] is not None
    if scope_name == ALL or (
        scope_name in (DEPARTMENTS, TEACHING) and not has_department
    ):
        if scope_name == ALL:
            sentence = gettext("That scope reaches every one of the %(plural)s.")
        else:
            sentence = gettext(
                "%(plural)s belong to no department, so that scope reaches every one."
            )
        steps.append(Step(True, capfirst(sentence % {"plural": plural})))
    elif scope_name == DEPARTMENTS:
        if scope.all_departments:
            steps.append(
                Step(
                    True,
                    gettext(
                        "%(user)s is institute-wide (may manage every department), "
                        "so it reaches every department."
                    )
                    % {"user": name},
                )
            )
        elif scope.managed_departments:
            names = _department_names(scope.managed_departments)
            steps.append(
                Step(
                    True,
                    gettext("%(user)s manages these departments: %(names)s.")
                    % {"user": name, "names": _names(names)},
                )
            )
        else:
            steps.append(
                Step(
                    False,
                    gettext(
                        "%(user)s manages no department yet: the institute head "
                        "gives registrars their departments on the Access screen."
                    )
                    % {"user": name},
                )
            )
    elif scope_name == TEACHING:
        if scope.teacher_id is None:
            steps.append(
                Step(
                    False,
                    gettext(
                        "%(user)s has no teacher profile linked, so they teach in "
                        "no department."
                    )
                    % {"user": name},
                )
            )
        else:
            names = _department_names(scope.teaching_departments)
            steps.append(
                Step(
                    True,
                    gettext(
                        "%(user)s teaches in: %(names)s (their own department and "
                        "the departments of the classes they hold)."
                    )
                    % {"user": name, "names": _names(names)},
                )
            )
    elif scope_name == OWN_CLASSES:
        marks = action == ENTER_MARKS or record == "marksrecord"
        kind = PERMISSION_LABELS[ENTER_MARKS if marks else TAKE_ATTENDANCE]
        if record == "classroutine":
            names = _routine_names(
                scope.marks_routines if marks else scope.attendance_routines
            )
        else:
            names = _class_names(
                scope.marks_classes if marks else scope.attendance_classes
            )
        if names:
            steps.append(
                Step(
                    True,
                    gettext("%(user)s may %(kind)s in these classes: %(names)s.")
                    % {"user": name, "kind": kind, "names": _names(names)},
                )
            )
        else:
            steps.append(
                Step(
                    False,
                    gettext(
                        "%(user)s may %(kind)s in no class: they are neither the "
                        "teacher of an active class nor a captain of a class group."
                    )
                    % {"user": name, "kind": kind},
                )
            )
    elif scope_name == OWN:
        if record == "teacher":
            teacher = Teacher.objects.filter(pk=scope.teacher_id).first()
            if teacher is None:
                steps.append(
                    Step(
                        False,
                        gettext("%(user)s has no teacher profile of their own.")
                        % {"user": name},
                    )
                )
            else:
                steps.append(
                    Step(
                        True,
                        gettext("Their own profile is “%(teacher)s”.")
                        % {"teacher": teacher},
                    )
                )
        else:
            steps.append(Step(True, gettext("It reaches only their own profile.")))

    # 5. Where the record sits, and whether that is inside the scope.
    steps.append(Step(True, _where(record, instance, thing)))
    q = scope_q(user, record, action)
    inside = q is not None and (
        not q or model._default_manager.filter(q, pk=instance.pk).exists()
    )
    if inside:
        steps.append(
            Step(True, gettext("So %(thing)s is inside that scope.") % {"thing": thing})
        )
    else:
        steps.append(
            Step(
                False,
                gettext("So %(thing)s is outside that scope.") % {"thing": thing},
            )
        )

    if not model_ok:
        return finish(False, gettext("The role's group lacks the model permission."))
    if not inside:
        return finish(False, gettext("The record is outside their scope."))
    return finish(True, "")


def _where(record: str, instance, thing: str) -> str:
    """Where a record sits: its department, and its class where that matters."""
    if record == "department":
        return gettext("%(thing)s is a department itself.") % {"thing": capfirst(thing)}
    if record == "academicsession":
        return gettext("%(thing)s belongs to no department.") % {
            "thing": capfirst(thing)
        }
    if record == "classroutine":
        teacher = instance.teacher
        return gettext(
            "%(thing)s is a class of %(group)s (department %(department)s, session "
            "%(session)s); its teacher is %(teacher)s%(active)s."
        ) % {
            "thing": capfirst(thing),
            "group": class_group_label(
                department=instance.department,
                semester=instance.semester,
                shift=instance.shift,
            ),
            "department": instance.department.name,
            "session": instance.session,
            "teacher": teacher if teacher else gettext("nobody"),
            "active": "" if instance.is_active else gettext("; the slot is inactive"),
        }
    if record in ("attendancerecord", "marksrecord"):
        student = instance.student
        return gettext(
            "%(thing)s belongs to the class %(subject)s, %(shift)s shift, of student "
            "%(student)s in department %(department)s."
        ) % {
            "thing": capfirst(thing),
            "subject": instance.subject,
            "shift": student.get_shift_display(),
            "student": student,
            "department": student.department.name,
        }
    path = DEPARTMENT_PATH[record]
    target = instance
    for part in path.split("__"):
        target = getattr(target, part, None) if target is not None else None
    if target is None:
        return gettext("%(thing)s is in no department.") % {"thing": capfirst(thing)}
    sentence = gettext("%(thing)s is in department %(department)s.") % {
        "thing": capfirst(thing),
        "department": f"{target.code} ({target.name})",
    }
    if record == "teacher" and instance.user_id:
        sentence += " " + gettext("Its sign-in account is %(username)s.") % {
            "username": instance.user.get_username()
        }
    return sentence
