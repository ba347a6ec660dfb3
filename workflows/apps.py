from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("Approval workflows")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from . import services
        from .models import Workflow, WorkflowStage

        for model in (Workflow, WorkflowStage):
            name = model._meta.model_name
            for signal in (post_save, post_delete):
                signal.connect(
                    services.forget_first_stages,
                    sender=model,
                    dispatch_uid=f"campusdesk-first-stage:{name}:{id(signal)}",
                )
