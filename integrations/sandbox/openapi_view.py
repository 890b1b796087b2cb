"""GET /sandbox/api/v2/openapi.json: the sandbox's OpenAPI document (no token needed)."""

from django.http import JsonResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from .openapi import openapi_document


@require_safe
@cache_control(public=True, max_age=300)
def openapi_json(request):
    return JsonResponse(openapi_document(), json_dumps_params={"indent": None})
