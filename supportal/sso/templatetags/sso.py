"""``{% sso_buttons %}``: the "Sign in with …" links of the active identity providers, on the
log-in page (the accounts app, below this one, does not import it)."""

from __future__ import annotations

from django import template

from supportal.sso.selectors import provider_list_active

register = template.Library()


@register.inclusion_tag("sso/buttons.html", takes_context=True)
def sso_buttons(context: template.Context) -> dict[str, object]:
    return {"providers": list(provider_list_active()), "next": context.get("next", "")}
