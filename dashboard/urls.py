from django.urls import path

from dashboard.views import overview

app_name = "dashboard"

urlpatterns = [
    path("", overview.home, name="home"),
]
