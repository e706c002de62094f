"""Single sign-on for agents through OpenID Connect (docs/sso.md)."""
