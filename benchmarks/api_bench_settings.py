"""Settings of the API benchmark's gunicorn: the bench settings, plus one URL.

The minimal DRF baseline view lives only in ``benchmarks.api_bench_urls``;
the product's URLs are unchanged.
"""

from website.settings.bench import *  # noqa: F403

ROOT_URLCONF = "benchmarks.api_bench_urls"
