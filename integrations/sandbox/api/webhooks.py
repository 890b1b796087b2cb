"""Not yet built: see the module docstring of members.py for the pattern."""

urlpatterns = []
