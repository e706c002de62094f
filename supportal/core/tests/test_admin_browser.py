"""The administration site in a real browser (Chromium via Playwright): its scripts work on the
widgets the form renderer draws from Django's Jinja2 twins (supportal/core/form_renderer.py,
docs/architecture.md, "Sixteenth round: Django's form templates through Jinja2") — the
two-box chooser of a desk's products, the person search of a member's row — and the desk is
saved with what was chosen."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from supportal.desks.models import Product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_administrator_adds_a_product_to_a_desk_with_the_two_box_chooser(
    page, cast, live_server
):
    erp = Product.objects.create(name="Tecnet ERP")
    desk = cast.help_desk
    page.goto(f"{live_server.url}/admin/login/?next=/admin/desks/desk/{desk.pk}/change/")
    page.fill("#id_username", cast.admin.email)
    page.fill("#id_password", "parola123")
    page.click("input[type=submit]")

    # The admin's SelectFilter script turned the <select multiple> into two boxes.
    expect(page.locator("#id_products_to option")).to_have_text(["Tecnet Web"])
    page.select_option("#id_products_from", label="Tecnet ERP")
    page.click("#id_products_add")
    expect(page.locator("#id_products_to option")).to_have_count(2)
    # Each member's person is chosen through the admin's autocomplete (select2).
    members = page.locator("#memberships-group .select2-container")
    expect(members).to_have_text(["Bogdan Moraru", "Lena Lead"])
    page.click("input[name=_save]")

    expect(page.locator(".messagelist .success")).to_be_visible()
    assert set(desk.products.values_list("pk", flat=True)) == {cast.product.pk, erp.pk}
