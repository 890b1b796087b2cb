"""Signing in with WebWork: where to send a manager, and what their return from WebWork becomes.

`sign_in_with_token()` does the same for a personal access token (`manage.py webwork_connect`).
`sign_in_start()` gives WebWork's consent URL with the state and PKCE verifier the page keeps
meanwhile. `sign_in_complete()` exchanges the code WebWork sent back, stores the manager's
connection and workspace accesses, and connects the workspaces they manage that Clockroom does not
sync yet (their first sync starts by itself). Every refusal is a `SignInError` whose message is fit
to show the manager as it is.
"""

import logging
from dataclasses import dataclass, field

from ..connections import (
    NoWorkspaceError,
    connection_from_oauth_code,
    connection_from_personal_token,
    connection_sign_in_start,
)
from ..models import Connection
from ..webwork import oauth
from ..webwork.errors import AuthError, WebWorkError
from .workspaces import connection_workspaces_connect

logger = logging.getLogger(__name__)

CODE_SPENT = "This sign-in has expired or was already used. Please sign in again."
NOT_CONNECTED = (
    "You are signed in, but Clockroom could not start syncing your workspaces. "
    "Sign in again in a minute to retry."
)


class SignInError(Exception):
    """The sign-in cannot go on. `message` is fit to show a manager."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class SignInUnavailable(SignInError):
    """Clockroom has no OAuth2 app for WebWork: nobody can sign in until an operator sets one up."""


@dataclass
class SignInStart:
    url: str
    state: str
    code_verifier: str


@dataclass
class SignedIn:
    connection: Connection
    connected: list = field(default_factory=list)  # workspaces connected by this sign-in
    problem: str = ""  # why connecting the workspaces failed (the sign-in stands)

    @property
    def user(self):
        return self.connection.user

    @property
    def who(self):
        return self.connection.email or self.connection.user.username


def sign_in_start() -> SignInStart:
    """WebWork's consent URL, with the state and PKCE verifier to keep until the manager returns."""
    try:
        start = connection_sign_in_start()
    except oauth.OAuthNotConfiguredError as exc:
        raise SignInUnavailable(exc.message) from exc
    return SignInStart(url=start.url, state=start.state, code_verifier=start.code_verifier)


def sign_in_complete(*, code, code_verifier) -> SignedIn:
    """The manager is back from WebWork with `code`: their connection, and the workspaces that this
    sign-in connected. Raises SignInError with the reason when WebWork refuses."""
    try:
        connection = connection_from_oauth_code(code=code, code_verifier=code_verifier)
    except oauth.OAuthGrantError as exc:
        raise SignInError(CODE_SPENT) from exc
    except oauth.OAuthError as exc:
        logger.warning("WebWork sign-in failed: %s", exc)
        raise SignInError(exc.message) from exc
    except NoWorkspaceError as exc:
        raise SignInError(exc.message) from exc
    except WebWorkError as exc:
        logger.warning("WebWork sign-in could not read the account: %s", exc)
        raise SignInError(
            f"You signed in to WebWork, but Clockroom could not read your workspaces ({exc.message}). "
            "Please try again in a minute."
        ) from exc
    signed_in = SignedIn(connection=connection)
    try:
        signed_in.connected = connection_workspaces_connect(connection=connection)
    except Exception:
        # The sign-in stands; the next one tries again.
        logger.exception("Could not connect the workspaces of WebWork user %s", connection.webwork_user_id)
        signed_in.problem = NOT_CONNECTED
    return signed_in


def sign_in_with_token(*, token, user=None):
    """A connection from a WebWork personal access token, for `user` (a Clockroom user; by default
    one for its WebWork account), with its workspace accesses. Connecting the workspaces is left
    to the caller (see `connection_workspaces_connect`). Raises SignInError with the reason."""
    try:
        return connection_from_personal_token(token=token, user=user)
    except AuthError as exc:
        raise SignInError(
            "WebWork refused this token: it is wrong, revoked or expired. Make a new personal access "
            "token in WebWork (Settings > REST API > Personal Access Tokens). "
            f"WebWork said: {exc.message}"
        ) from exc
    except NoWorkspaceError as exc:
        raise SignInError(exc.message) from exc
    except WebWorkError as exc:
        raise SignInError(f"Could not reach WebWork with this token: {exc}") from exc
