"""The WebWork API V2 layer: HTTP only, no Django models.

`client.WebWorkClient` speaks to WebWork (or the sandbox) with httpx; `errors` are its typed
failures; `ratelimit` keeps every process under WebWork's per-user limit; `oauth` runs the
OAuth2 sign-in with requests-oauthlib.
"""
