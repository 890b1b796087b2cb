from django.urls import path

from integrations.sandbox.views import index

app_name = "sandbox"

urlpatterns = [
    path("", index, name="index"),
]
