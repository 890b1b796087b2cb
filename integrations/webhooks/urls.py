from django.urls import path

from . import views

app_name = "webhooks"

urlpatterns = [
    path("<uuid:webhook_uuid>/", views.webhook_intake, name="intake"),
]
