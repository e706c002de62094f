"""Pictures of articles: re-encoded by Pillow, inserted in the text, shown only to the readers
of the article (docs/knowledge.md#pictures)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.urls import reverse
from PIL import Image

from supportal.accounts.models import OrganizationProduct
from supportal.desks.models import Product
from supportal.knowledge import services
from supportal.knowledge.models import ArticlePicture, ArticleText, Visibility
from supportal.knowledge.render import markdown_render
from supportal.knowledge.tests.test_articles import article

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }


def png(size=(40, 30), color=(200, 30, 30)) -> bytes:
    out = BytesIO()
    picture = Image.new("RGB", size, color)
    picture.save(out, format="PNG", pnginfo=_comment("secret location"))
    return out.getvalue()


def _comment(text):
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", text)
    return info


def test_agent_uploads_a_picture_it_is_re_encoded_and_put_in_the_text(client, cast):
    made = article(cast, visibility=Visibility.EVERYONE)
    client.force_login(cast.agent_help)
    answer = client.post(
        reverse("workspace:article_picture_add", args=[made.pk]),
        {"language": "ro", "picture": _upload("ecran [factura].png", png((3000, 1500)))},
    )
    assert answer.status_code == 302
    picture = ArticlePicture.objects.get()
    url = reverse("portal:article_picture", args=[made.pk, picture.pk])
    body = ArticleText.objects.get(article=made, language="ro").body
    assert body.endswith(f"![ecran factura]({url})") and body.startswith("Deschideți")
    assert made.versions.first().changes == "text in ro"
    # Re-encoded: scaled down to 1600 pixels, without the uploaded file's metadata.
    assert (picture.width, picture.height, picture.content_type) == (1600, 800, "image/png")
    stored = picture.file.read()
    assert b"secret location" not in stored
    assert Image.open(BytesIO(stored)).size == (1600, 800)
    # The edit page lists it; the article shows it.
    edit = client.get(reverse("workspace:article_edit", args=[made.pk]) + "?language=ro").text
    assert url in edit
    client.force_login(cast.cristina)
    page = client.get(reverse("portal:article", args=[made.pk])).text
    assert f'<img src="{url}" alt="ecran factura">' in page
    shown = client.get(url)
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png"
    assert shown["X-Content-Type-Options"] == "nosniff"
    assert b"".join(shown.streaming_content) == stored


def _upload(name, data):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/png")


def test_a_reader_who_may_not_see_the_article_gets_not_found_for_its_picture(client, cast):
    hr = Product.objects.create(name="HR")
    OrganizationProduct.objects.create(organization=cast.cristina_srl, product=cast.product)
    internal = article(cast, "Intern", visibility=Visibility.INTERNAL)
    other_product = article(cast, "HR", product=hr)
    draft = article(cast, "Ciornă", visibility=Visibility.EVERYONE, publish=False)
    theirs = article(cast, "Tecnet", product=cast.product)
    pictures = {}
    for made in (internal, other_product, draft, theirs):
        picture = services.article_picture_add(
            actor=cast.agent_help, article=made, data=png(), file_name="a.png", language="ro"
        )
        pictures[made.pk] = reverse("portal:article_picture", args=[made.pk, picture.pk])
    client.force_login(cast.cristina)
    assert client.get(pictures[theirs.pk]).status_code == 200
    for hidden in (internal, other_product, draft):
        assert client.get(pictures[hidden.pk]).status_code == 404
    # A picture asked for through another article the reader may see: not found either.
    other_picture = ArticlePicture.objects.get(article=internal)
    wrong = reverse("portal:article_picture", args=[theirs.pk, other_picture.pk])
    assert client.get(wrong).status_code == 404
    client.logout()
    assert client.get(pictures[theirs.pk]).status_code == 302  # to log in
    client.force_login(cast.agent_help)
    assert all(client.get(url).status_code == 200 for url in pictures.values())


def test_what_is_not_a_picture_is_refused_and_the_text_stays(client, cast):
    made = article(cast, visibility=Visibility.EVERYONE)
    client.force_login(cast.agent_help)
    for name, data in [
        ("x.png", b"<svg onload=alert(1)>"),
        ("x.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("x.png", png()[:60]),
    ]:
        answer = client.post(
            reverse("workspace:article_picture_add", args=[made.pk]),
            {"language": "ro", "picture": _upload(name, data)},
        )
        assert answer.status_code == 400
        assert "not a picture we can show" in answer.text
    assert not ArticlePicture.objects.exists()
    assert (
        ArticleText.objects.get(article=made).body == "Deschideți **Facturi** și apăsați Tipărește."
    )
    customer = client
    customer.force_login(cast.cristina)
    answer = customer.post(
        reverse("workspace:article_picture_add", args=[made.pk]),
        {"language": "ro", "picture": _upload("a.png", png())},
    )
    assert answer.status_code == 403 and not ArticlePicture.objects.exists()


def test_jpeg_stays_jpeg_without_its_exif(cast):
    made = article(cast)
    out = BytesIO()
    exif = Image.Exif()
    exif[0x010E] = "GPS somewhere secret"  # ImageDescription
    Image.new("RGB", (50, 20), (0, 90, 200)).save(out, format="JPEG", exif=exif)
    picture = services.article_picture_add(
        actor=cast.agent_help, article=made, data=out.getvalue(), file_name="p.jpg", language="en"
    )
    assert picture.content_type == "image/jpeg" and picture.file.name.endswith(".jpg")
    assert b"secret" not in picture.file.read()
    # No English text: the picture is stored, the Romanian text is left as it was.
    assert "pictures" not in ArticleText.objects.get(article=made).body


def test_only_the_knowledge_base_s_own_pictures_are_shown():
    html = markdown_render(
        "![tracker](https://tracker.example/pixel.png) ![ours](/articles/3/pictures/7/) "
        "![proto](//evil.example/articles/3/pictures/7/)"
    )
    assert 'src="/articles/3/pictures/7/"' in html
    assert "tracker.example" not in html and "evil.example" not in html
