"""Encryption at rest for WebWork tokens (Fernet from `cryptography`).

Keys come from `WEBWORK_TOKEN_KEYS` (comma-separated Fernet keys, newest first, so a key can
be rotated in: add the new key in front, run `manage.py rotate_token_keys`, drop the old). Unset,
one key is derived from `DJANGO_SECRET_KEY`.
"""

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@functools.cache
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    if not keys:
        derived = base64.urlsafe_b64encode(hashlib.sha256(f"clockroom-tokens:{secret_key}".encode()).digest())
        keys = (derived.decode(),)
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.WEBWORK_TOKEN_KEYS), settings.SECRET_KEY)


def encrypt(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt(value: str) -> str:
    return fernet().decrypt(value.encode()).decode()


class EncryptedTextField(models.TextField):
    """A text column that holds only Fernet ciphertext; Python code sees the plain value."""

    description = "Text encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        try:
            return decrypt(value)
        except InvalidToken:
            # Written with a key that is no longer configured: unusable, treated as absent.
            return ""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
