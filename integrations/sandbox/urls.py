from django.urls import include, path

from integrations.sandbox import control
from integrations.sandbox.views import index

app_name = "sandbox"

urlpatterns = [
    path("", index, name="index"),
    path("api/v2/", include("integrations.sandbox.api.urls")),
    path("control/faults", control.faults, name="faults"),
    path("control/tokens/expire", control.tokens_expire, name="tokens-expire"),
    path("oauth/", include("integrations.sandbox.oauth.urls")),
]
