from django.urls import include, path

from integrations.sandbox.views import index

app_name = "sandbox"

urlpatterns = [
    path("", index, name="index"),
    path("api/v2/", include("integrations.sandbox.api.urls")),
]
