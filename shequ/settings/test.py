from .base import *  # noqa: F403

DEBUG = False
# Argon2 stays the production hasher (asserted in tests); fixtures use a precomputed hash.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGIN_FAILURE_LIMIT = 5
