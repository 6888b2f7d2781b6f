"""Errors raised by the client: one family, each carrying the service's stable ``code``."""
from __future__ import annotations

from typing import Optional


class FeatcacheError(Exception):
    """An error answer of the service (``{"success": false, "error": {"code", "message"}}``).

    ``code`` is the service's stable code (``NOT_FOUND``, ``INVALID_FEATURES``,
    ``BATCH_TOO_LARGE``, ... — docs/HTTP.md, Errors), ``status`` the HTTP status,
    ``request_id`` the ``x-request-id`` of the answer (quote it when reading the
    service's log).
    """

    def __init__(self, code: str, message: str, status: Optional[int] = None, request_id: Optional[str] = None):
        super().__init__(f"{code}: {message}" + (f" (HTTP {status})" if status is not None else ""))
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id


class FeatcacheTransportError(FeatcacheError):
    """No answer from the service (connection refused, timeout, TLS error): code ``TRANSPORT_ERROR``.

    The ``requests`` exception is the ``__cause__``.
    """

    CODE = "TRANSPORT_ERROR"

    def __init__(self, message: str):
        super().__init__(self.CODE, message)
