"""Foundation: request overhead of the probes and the admin sign-in page.

Baseline: Django's own static `healthz` answer through the same middleware
stack, which does no database work.
"""

from django.test import Client

from .timing import median, p95, sample

PREFIX = "foundation_"


def run(report) -> None:
    client = Client()
    baseline = sample(lambda: client.get("/healthz"))
    report("foundation_healthz_median", median(baseline), "ms")

    ready = sample(lambda: client.get("/readyz"))
    report(
        "foundation_readyz_median",
        median(ready),
        "ms",
        baseline_name="healthz",
        baseline_value=median(baseline),
    )
    report(
        "foundation_readyz_p95",
        p95(ready),
        "ms",
        baseline_name="healthz",
        baseline_value=p95(baseline),
    )

    login = sample(lambda: client.get("/admin/login/"), repeat=100)
    report(
        "foundation_admin_login_page_median",
        median(login),
        "ms",
        baseline_name="healthz",
        baseline_value=median(baseline),
    )
