from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from dashboard.views import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("integrations/webhooks/", include("integrations.webhooks.urls")),
    path("", include("dashboard.urls")),
]

if settings.WEBWORK_SANDBOX:
    urlpatterns.insert(0, path("sandbox/", include("integrations.sandbox.urls")))
