"""Login: a one-time link sets a signed session cookie; nothing else gets past the login page.

``archibald serve`` (or ``archibald studio``) makes ``ARCHIBALD_LOGIN_TOKEN`` and
``ARCHIBALD_SESSION_SECRET`` before its workers start, so every worker accepts the same link
and the same cookie. The link works once: its digest goes into the store when it is used (a
primary key, so two workers cannot both accept it). The cookie is signed with the secret
(itsdangerous), HttpOnly and SameSite=Strict: scripts cannot read it and no other site's page
can send it, so the forms need no other token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import time
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from ...store.migrations import studio_logins

__all__ = ["COOKIE", "SESSION_DAYS", "NotLoggedIn", "Auth", "prepare_env"]

COOKIE = "archibald_studio"
SESSION_DAYS = 7
TOKEN_ENV = "ARCHIBALD_LOGIN_TOKEN"
SECRET_ENV = "ARCHIBALD_SESSION_SECRET"


class NotLoggedIn(Exception):
    """A request without a valid session: the login page (or 401 for data)."""

    def __init__(self, data: bool = False, message: str = "") -> None:
        super().__init__(message or "log in with the link `archibald serve` printed")
        self.data = data
        self.message = message


def prepare_env() -> str:
    """The login token, made (with the session secret) in the environment if missing."""
    if not os.environ.get(SECRET_ENV):
        os.environ[SECRET_ENV] = secrets.token_urlsafe(32)
    if not os.environ.get(TOKEN_ENV):
        os.environ[TOKEN_ENV] = secrets.token_urlsafe(24)
    return os.environ[TOKEN_ENV]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Auth:
    """The login token, the session signer and the store that remembers used links."""

    def __init__(self, engine: Any) -> None:
        from itsdangerous import URLSafeTimedSerializer

        prepare_env()
        self.token = os.environ[TOKEN_ENV]
        self.engine = engine
        self.signer = URLSafeTimedSerializer(os.environ[SECRET_ENV], salt="archibald-studio")

    def use_token(self, given: str) -> str | None:
        """None when ``given`` is the login token, used now for the first time; else why not."""
        if not given or not hmac.compare_digest(given.encode(), self.token.encode()):
            return "this login link is not valid; use the one `archibald serve` printed"
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(studio_logins).values(token_digest=_digest(given),
                                                          used_at=time.time()))
        except IntegrityError:
            return ("this login link was already used; restart `archibald serve` (or run "
                    "`archibald studio`) for a new one")
        return None

    def session_cookie(self) -> str:
        return self.signer.dumps({"v": 1, "n": secrets.token_hex(8)})

    def valid(self, cookie: str | None) -> bool:
        from itsdangerous import BadSignature

        if not cookie:
            return False
        try:
            data = self.signer.loads(cookie, max_age=SESSION_DAYS * 86400)
        except BadSignature:  # includes an expired signature
            return False
        return isinstance(data, dict) and data.get("v") == 1
