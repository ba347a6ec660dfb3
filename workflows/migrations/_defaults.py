"""The shipped workflows, shared by the data migration and the tests.

Admissions: registrar, then head. Teacher signups: head. Correction requests:
registrar. An institute edits them afterwards; this only fills what is missing.
(The migration loader skips modules whose names start with an underscore.)
"""

DEFAULTS = {
    "admission": (
        "Admission applications",
        [("Registrar review", "Registrars"), ("Head approval", "Institute heads")],
    ),
    "teacher_signup": ("Teacher signups", [("Head approval", "Institute heads")]),
    "correction": ("Correction requests", [("Registrar review", "Registrars")]),
}


def create(apps, db: str = "default") -> None:
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("workflows", "Workflow")
    WorkflowStage = apps.get_model("workflows", "WorkflowStage")
    for kind, (name, stages) in DEFAULTS.items():
        workflow, created = Workflow.objects.using(db).get_or_create(
            kind=kind, defaults={"name": name}
        )
        if not created:
            continue
        for order, (stage_name, group_name) in enumerate(stages, start=1):
            group, _ = Group.objects.using(db).get_or_create(name=group_name)
            WorkflowStage.objects.using(db).create(
                workflow=workflow, order=order, name=stage_name, group=group
            )
