"""Domain errors raised by services and mapped to pages or form fields by views."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class RuleViolation(DomainError):
    """A business rule forbids the requested change."""


class PermissionDenied(DomainError):
    """The actor may not do this to this object."""


class NotFound(DomainError):
    """The object does not exist (or the actor may not know it exists)."""
