"""Rotating the key that encrypts WebWork tokens at rest."""

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection as db

from integrations.models import Connection

pytestmark = pytest.mark.django_db


def raw_access_token(pk):
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token FROM integrations_connection WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_tokens_stay_readable_after_the_old_key_is_retired(settings, capsys):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WEBWORK_TOKEN_KEYS = [old]
    user = get_user_model().objects.create(username="webwork-7")
    saved = Connection.objects.create(
        user=user, webwork_user_id=7, access_token="wwat_secret", refresh_token="r"
    )

    settings.WEBWORK_TOKEN_KEYS = [new, old]
    call_command("rotate_token_keys")
    settings.WEBWORK_TOKEN_KEYS = [new]

    assert "1 connections" in capsys.readouterr().out
    assert Connection.objects.get(pk=saved.pk).access_token == "wwat_secret"
    assert Fernet(new.encode()).decrypt(raw_access_token(saved.pk).encode()) == b"wwat_secret"


def test_without_rotating_a_retired_key_leaves_the_token_unusable(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.WEBWORK_TOKEN_KEYS = [old]
    user = get_user_model().objects.create(username="webwork-8")
    saved = Connection.objects.create(user=user, webwork_user_id=8, access_token="wwat_secret")

    settings.WEBWORK_TOKEN_KEYS = [new]

    assert Connection.objects.get(pk=saved.pk).access_token == ""
