"""Typed failures of the WebWork API, one class per kind of answer a caller handles differently."""


class WebWorkError(Exception):
    """Any failure talking to WebWork. `message` is fit to show a manager."""

    status = None

    def __init__(self, message, *, status=None, payload=None, method=None, path=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.payload = payload or {}
        self.method = method
        self.path = path

    def __str__(self):
        where = f"{self.method} {self.path}: " if self.method else ""
        return f"{where}{self.message}" + (f" (HTTP {self.status})" if self.status else "")


class BadRequestError(WebWorkError):
    """400: a malformed request, or a business rule refused it (already tracking, a member invited
    twice, a second contract for a member and project); `message` says why."""

    status = 400


class AuthError(WebWorkError):
    """401: the token is missing, invalid or expired."""

    status = 401


class ForbiddenError(WebWorkError):
    """403: the role may not do this, or the workspace is not the caller's."""

    status = 403


class NotFoundError(WebWorkError):
    status = 404


class ConflictError(WebWorkError):
    """409. WebWork documents none (a repeated action is a 400, a value already taken a 422); kept
    so that one, should it come, is still told apart from other failures."""

    status = 409


class ValidationError(WebWorkError):
    """422: a field's value refused (an email already taken) or a wrong state transition;
    `field_errors` maps each offending field to its messages (empty when none is named)."""

    status = 422

    def __init__(self, message, *, field_errors=None, **kwargs):
        super().__init__(message, **kwargs)
        self.field_errors = field_errors or {}


class RateLimitedError(WebWorkError):
    """429: `retry_after` seconds until WebWork accepts requests again."""

    status = 429

    def __init__(self, message, *, retry_after=60.0, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(WebWorkError):
    """5xx from WebWork."""


class TransportError(WebWorkError):
    """No answer: a timeout or a connection failure."""


STATUS_ERRORS = {
    400: BadRequestError,
    401: AuthError,
    403: ForbiddenError,
    404: NotFoundError,
    405: BadRequestError,
    409: ConflictError,
    422: ValidationError,
    429: RateLimitedError,
}


def error_class_for(status):
    if status >= 500:
        return ServerError
    return STATUS_ERRORS.get(status, WebWorkError)
