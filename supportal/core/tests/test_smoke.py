from django.conf import settings


def test_secret_key_is_set():
    assert settings.SECRET_KEY
