"""Where the current write comes from, so audit records say web, api, cli or task without every
service having to be told."""

from contextlib import contextmanager
from contextvars import ContextVar

current_source: ContextVar[str] = ContextVar("shequ_source", default="cli")
current_ip: ContextVar[str | None] = ContextVar("shequ_ip", default=None)


@contextmanager
def source(name, ip=None):
    source_token = current_source.set(name)
    ip_token = current_ip.set(ip)
    try:
        yield
    finally:
        current_source.reset(source_token)
        current_ip.reset(ip_token)
