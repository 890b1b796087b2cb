# The sandbox tests' fixtures live in tests/integrations/conftest.py; these names stay importable here.
from tests.integrations.conftest import API, ApiClient, World, make_user  # noqa: F401
