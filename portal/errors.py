"""Domain errors raised by services; one handler turns each into an HTTP answer."""


class DomainError(Exception):
    """A refusal a person can understand; ``message`` is already translated."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class InvalidTransition(DomainError):
    status_code = 409


class ValidationError(DomainError):
    status_code = 422
