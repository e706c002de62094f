"""Settings of the benchmark server: the production settings, plus a "hello" ceiling view.

DEBUG stays off (config.settings reads it from the environment, off by default) and database
connections persist across requests, as in production (docs/deploy.md).
"""

from config.settings import *  # noqa: F403
from config.settings import DATABASES

ROOT_URLCONF = "bench.urls"
DATABASES["default"]["CONN_MAX_AGE"] = None
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
