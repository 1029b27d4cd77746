"""Settings that matter for safety: the database is configured as designed on each engine, and the
production module refuses development secrets and turns on secure cookies."""

import importlib
import sys

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.backends.sqlite3.base import DatabaseWrapper as SQLiteWrapper

PROD_SECRET = "prod-secret-key-for-tests-0123456789abcdefghijklmnopqrstuvwxyz"
PROD_FIELD_KEYS = "k2026:cHJvZC1maWVsZC1rZXktZm9yLXRlc3RzLTMyYnl0ZXM="


def pragma(cursor, name):
    cursor.execute(f"PRAGMA {name}")
    return cursor.fetchone()[0]


@pytest.mark.django_db
def test_database_is_configured_for_its_engine(tmp_path):
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            assert pragma(cursor, "foreign_keys") == 1
            assert pragma(cursor, "busy_timeout") == 20000
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        # The test database lives in memory, where SQLite has no WAL; open a file database with the
        # very same settings to check what a deployment gets.
        file_settings = {**connection.settings_dict, "NAME": str(tmp_path / "wal.sqlite3")}
        file_connection = SQLiteWrapper(file_settings, alias="wal_check")
        try:
            with file_connection.cursor() as cursor:
                assert pragma(cursor, "journal_mode") == "wal"
                assert pragma(cursor, "foreign_keys") == 1
                assert pragma(cursor, "synchronous") == 1  # NORMAL
        finally:
            file_connection.close()
    else:
        assert connection.vendor == "postgresql"
        assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        assert settings.DATABASES["default"]["CONN_MAX_AGE"] == 60
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version_num")
            assert int(cursor.fetchone()[0]) >= 150000
            cursor.execute("SHOW client_encoding")
            assert cursor.fetchone()[0] == "UTF8"


def test_sqlite_urls_get_the_sqlite_options(tmp_path):
    from shequ.settings.base import database_from_url

    config = database_from_url(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert config["ENGINE"] == "django.db.backends.sqlite3"
    assert config["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert "PRAGMA journal_mode=WAL;" in config["OPTIONS"]["init_command"]
    assert "PRAGMA foreign_keys=ON;" in config["OPTIONS"]["init_command"]
    assert config["CONN_MAX_AGE"] == 0

    postgres = database_from_url("postgres://shequ@db.example:5432/shequ")
    assert postgres["ENGINE"] == "django.db.backends.postgresql"
    assert "init_command" not in postgres.get("OPTIONS", {})


def test_password_hasher_is_argon2_first():
    assert settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


@pytest.fixture
def fresh_settings_modules(monkeypatch):
    """Imports settings modules afresh under a patched environment, and restores them afterwards."""
    import shequ.settings.base

    def load(name):
        importlib.reload(shequ.settings.base)
        sys.modules.pop(f"shequ.settings.{name}", None)
        return importlib.import_module(f"shequ.settings.{name}")

    saved_prod = sys.modules.pop("shequ.settings.prod", None)
    yield load
    monkeypatch.undo()
    importlib.reload(shequ.settings.base)
    sys.modules.pop("shequ.settings.prod", None)
    if saved_prod is not None:
        sys.modules["shequ.settings.prod"] = saved_prod


def test_prod_settings_are_secure(monkeypatch, fresh_settings_modules):
    monkeypatch.setenv("SHEQU_SECRET_KEY", PROD_SECRET)
    monkeypatch.setenv("SHEQU_FIELD_KEYS", PROD_FIELD_KEYS)
    monkeypatch.delenv("SHEQU_FIELD_KEY_CURRENT", raising=False)
    monkeypatch.delenv("SHEQU_DEBUG", raising=False)
    monkeypatch.delenv("SHEQU_SSL_REDIRECT", raising=False)

    prod = fresh_settings_modules("prod")

    assert prod.DEBUG is False
    assert prod.API_DOCS_ENABLED is False
    assert prod.SESSION_COOKIE_SECURE is True
    assert prod.CSRF_COOKIE_SECURE is True
    assert prod.SESSION_COOKIE_HTTPONLY is True
    assert prod.SECURE_SSL_REDIRECT is True
    assert prod.SECURE_HSTS_SECONDS > 0
    assert prod.SECRET_KEY == PROD_SECRET
    assert prod.SHEQU_FIELD_KEY_CURRENT == "k2026"
    assert prod.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


@pytest.mark.parametrize("missing", ["SHEQU_SECRET_KEY", "SHEQU_FIELD_KEYS"])
def test_prod_settings_refuse_development_secrets(monkeypatch, fresh_settings_modules, missing):
    monkeypatch.setenv("SHEQU_SECRET_KEY", PROD_SECRET)
    monkeypatch.setenv("SHEQU_FIELD_KEYS", PROD_FIELD_KEYS)
    monkeypatch.delenv("SHEQU_FIELD_KEY_CURRENT", raising=False)
    monkeypatch.delenv(missing)

    with pytest.raises(ImproperlyConfigured, match="SHEQU_SECRET_KEY"):
        fresh_settings_modules("prod")


def test_the_suite_runs_on_the_test_settings_with_api_docs_on():
    # Importing prod above must not have leaked into the running configuration.
    assert settings.SETTINGS_MODULE == "shequ.settings.test"
    assert settings.API_DOCS_ENABLED is True
    assert not getattr(settings, "SESSION_COOKIE_SECURE", False)
