"""The suite lists the static files once per folder state and configuration, and every test
client's WhiteNoise shares that list (config/pytest_plugin.py; docs/architecture.md, "Tests and
their time"): a folder that changed is listed again, and the files are served as before."""

from __future__ import annotations

from django.test import Client
from whitenoise.middleware import WhiteNoiseMiddleware


def _listed(settings) -> dict:
    return WhiteNoiseMiddleware(lambda request: None, settings=settings).files


def test_the_list_is_shared_and_made_again_when_the_folder_changes(tmp_path, settings):
    settings.STATIC_ROOT = str(tmp_path)
    (tmp_path / "a.css").write_text("a{}")
    first, second = _listed(settings), _listed(settings)
    assert first["/static/a.css"] is second["/static/a.css"]

    (tmp_path / "b.css").write_text("b{}")
    third = _listed(settings)
    assert "/static/b.css" in third and "/static/b.css" not in second

    (tmp_path / "a.css").write_text("a{color:red}")
    changed = _listed(settings)["/static/a.css"]
    assert changed is not third["/static/a.css"]
    response = Client().get("/static/a.css")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"a{color:red}"


def test_another_configuration_gets_its_own_list(tmp_path, settings):
    settings.STATIC_ROOT = str(tmp_path)
    (tmp_path / "a.css").write_text("a{}")
    settings.WHITENOISE_MAX_AGE = 60
    minute = _listed(settings)["/static/a.css"]
    settings.WHITENOISE_MAX_AGE = 3600
    hour = _listed(settings)["/static/a.css"]
    assert hour is not minute
    assert Client().get("/static/a.css")["Cache-Control"] == "max-age=3600, public"
