"""One strict HTTP client for the WebWork API V2.

* Explicit timeouts; the envelope (`success`, `data`, `message`, `meta`) unwrapped into
  `ApiResult`; failures raised as the typed errors of `errors.py`.
* Every request first asks the shared rate limiter for a slot, so all processes together
  stay under WebWork's per-user limit; `X-RateLimit-Remaining: 0` and `Retry-After` answers
  are reported back to the limiter.
* 429s are waited out and retried for every method (WebWork refused the request, it did not
  run it); 5xx answers and timeouts are retried with backoff and jitter only for methods
  where a retry is safe (GET, PUT, DELETE).
* A 401 refreshes the token once (through the caller's `refresh_token` callback) and
  retries once.
* `iter_pages()` walks a list at the largest page size the endpoint allows, with a hard cap.
"""

import logging
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from . import errors

logger = logging.getLogger(__name__)

# The largest page each list allows (WebWork API V2 reference §6); 100 elsewhere.
MAX_PER_PAGE = {
    "time-entries": 50,
}
DEFAULT_MAX_PER_PAGE = 100
# Lists that accept only `page` (their page size is WebWork's, 20 for leave balances).
PAGE_ONLY = frozenset({"leaves/balances"})
PAGE_CAP = 10_000
SAFE_TO_RETRY = frozenset({"GET", "HEAD", "PUT", "DELETE"})


@dataclass
class ApiResult:
    """An unwrapped success answer."""

    data: Any
    message: str | None = None
    pagination: dict | None = None
    status: int = 200
    body: dict = field(default_factory=dict)

    @property
    def last_page(self):
        return int((self.pagination or {}).get("last_page") or 1)

    @property
    def current_page(self):
        return int((self.pagination or {}).get("current_page") or 1)


class NoLimit:
    """A limiter that never waits (for one-off scripts and tests of the limiter itself)."""

    def acquire(self):
        return 0.0

    def hold_off(self, seconds):
        pass


class WebWorkClient:
    """A client for one WebWork user (the limiter is per user).

    get_token: returns the current access token.
    refresh_token: refreshes it and returns the new one (raises errors.AuthError when it cannot).
    limiter: `acquire()` blocks until a request may be sent and returns the seconds it waited;
        `hold_off(seconds)` pauses every process using the same budget.
    """

    def __init__(
        self,
        *,
        get_token: Callable[[], str],
        refresh_token: Callable[[], str] | None = None,
        limiter=None,
        timeout: float = 20.0,
        max_retries: int = 4,
        backoff_base: float | None = None,
        backoff_cap: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self._get_token = get_token
        self._refresh_token = refresh_token
        self.limiter = limiter or NoLimit()
        self.base_url = settings.WEBWORK_API_BASE_URL.rstrip("/") + "/"
        self.max_retries = max_retries
        self.backoff_base = settings.WEBWORK_HTTP_BACKOFF_SECONDS if backoff_base is None else backoff_base
        self.backoff_cap = backoff_cap
        self.sleep = sleep
        self.requests_made = 0
        self.rate_limited = 0
        self.waited_seconds = 0.0
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            # The one seam for the wire: None reaches WebWork over the network; the tests and the
            # benchmarks set an in-process transport into the sandbox (WEBWORK_HTTP_TRANSPORT).
            transport=settings.WEBWORK_HTTP_TRANSPORT,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "Clockroom/1.0"},
        )

    def close(self):
        self._http.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # --- requests --------------------------------------------------------------

    def get(self, path, params=None):
        return self.request("GET", path, params=params)

    def post(self, path, json=None, params=None):
        return self.request("POST", path, params=params, json=json)

    def put(self, path, json=None, params=None):
        return self.request("PUT", path, params=params, json=json)

    def delete(self, path, json=None, params=None):
        return self.request("DELETE", path, params=params, json=json)

    def workspace_request(self, method, path, workspace_id, *, json=None, params=None):
        """A write that names its workspace in both places the two doc versions use (query and body)."""
        params = {**(params or {}), "workspace_id": workspace_id}
        body = {**(json or {}), "workspace_id": workspace_id}
        return self.request(method, path, params=params, json=body)

    def request(self, method, path, *, params=None, json=None) -> ApiResult:
        method = method.upper()
        path = path.lstrip("/")
        refreshed = False
        attempt = 0
        while True:
            # The token first: a request that cannot have one is never sent, so it spends no budget.
            token = self._get_token()
            self.waited_seconds += self.limiter.acquire()
            try:
                response = self._send(method, path, token, params, json)
            except httpx.TransportError as exc:
                if method in SAFE_TO_RETRY and attempt < self.max_retries:
                    attempt += 1
                    self._wait(self._backoff(attempt))
                    continue
                raise errors.TransportError(
                    f"WebWork did not answer ({type(exc).__name__}).", method=method, path=path
                ) from exc

            self._observe(response)
            status = response.status_code
            if status == 401 and self._refresh_token is not None and not refreshed:
                refreshed = True
                self._refresh_token()
                continue
            if status == 429:
                self.rate_limited += 1
                retry_after = _retry_after(response)
                self.limiter.hold_off(retry_after)
                if attempt < self.max_retries:
                    attempt += 1
                    self._wait(retry_after)
                    continue
            elif status >= 500 and method in SAFE_TO_RETRY and attempt < self.max_retries:
                attempt += 1
                self._wait(self._backoff(attempt))
                continue
            return self._result(method, path, response)

    def _send(self, method, path, token, params, json):
        kwargs = {"params": _query(params), "headers": {"Authorization": f"Bearer {token}"}}
        if json is not None:
            kwargs["json"] = json
        self.requests_made += 1
        response = self._http.request(method, path, **kwargs)
        logger.debug("WebWork %s /%s -> %s", method, path, response.status_code)
        return response

    def _observe(self, response):
        remaining = response.headers.get("X-RateLimit-Remaining")
        if remaining == "0" and response.status_code != 429:
            reset = response.headers.get("X-RateLimit-Reset")
            wait = _seconds_until(reset) if reset else None
            if wait:
                self.limiter.hold_off(wait)

    def _backoff(self, attempt):
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return ceiling * random.uniform(0.5, 1.0)

    def _wait(self, seconds):
        if seconds and seconds > 0:
            self.waited_seconds += seconds
            self.sleep(seconds)

    def _result(self, method, path, response) -> ApiResult:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.is_success:
                raise errors.ServerError(
                    "WebWork answered with something that is not JSON.",
                    status=response.status_code,
                    method=method,
                    path=path,
                )
            body = {}
        if response.is_success and body.get("success", True) is not False:
            meta = body.get("meta") or {}
            pagination = meta.get("pagination") or body.get("pagination")
            return ApiResult(
                data=body.get("data"),
                message=body.get("message"),
                pagination=pagination if isinstance(pagination, dict) else None,
                status=response.status_code,
                body=body,
            )
        raise _error(method, path, response, body)

    # --- lists -------------------------------------------------------------------

    def iter_pages(self, path, params=None, *, per_page=None, max_pages=PAGE_CAP) -> Iterator[ApiResult]:
        """Every page of a list, `per_page` at a time (by default the largest the endpoint allows)."""
        path = path.lstrip("/")
        per_page = per_page or MAX_PER_PAGE.get(path, DEFAULT_MAX_PER_PAGE)
        page = 1
        while page <= max_pages:
            query = {**(params or {}), "page": page}
            if path not in PAGE_ONLY:
                query["per_page"] = per_page
            result = self.get(path, params=query)
            if not isinstance(result.data, list):
                # An answer without its list (none, null, an object): not an empty list, which would
                # make the mirror drop every row of it.
                raise errors.ServerError(
                    f"WebWork answered GET /{path} without its list.", method="GET", path=path
                )
            yield result
            items = result.data
            if not items or result.pagination is None or result.current_page >= result.last_page:
                return
            page += 1
        raise errors.WebWorkError(f"Stopped after {max_pages} pages of /{path}.", path=path)

    def iter_items(self, path, params=None, **kwargs):
        for result in self.iter_pages(path, params, **kwargs):
            yield from result.data or []


def _query(params):
    """Lists as `name[]=a&name[]=b`-free comma lists, booleans as 1/0, None dropped."""
    if not params:
        return None
    query = {}
    for key, value in params.items():
        if value is None:
            continue
        if isinstance(value, bool):
            query[key] = "1" if value else "0"
        elif isinstance(value, list | tuple | set):
            query[key] = ",".join(str(v) for v in value)
        else:
            query[key] = value
    return query


def _retry_after(response):
    raw = response.headers.get("Retry-After")
    try:
        return max(0.0, float(raw))
    except (TypeError, ValueError):
        reset = response.headers.get("X-RateLimit-Reset")
        return _seconds_until(reset) if reset else 60.0


def _seconds_until(epoch):
    try:
        return max(0.0, float(epoch) - time.time())
    except (TypeError, ValueError):
        return None


def _error(method, path, response, body):
    status = response.status_code
    message = body.get("message") or response.reason_phrase or f"HTTP {status}"
    detail = body.get("error")
    if detail and isinstance(detail, str) and detail not in message and status in (401, 429):
        message = f"{message} {detail}"
    cls = errors.error_class_for(status)
    kwargs = {"status": status, "payload": body, "method": method, "path": path}
    if cls is errors.ValidationError:
        field_errors = body.get("errors") if isinstance(body.get("errors"), dict) else {}
        return cls(message, field_errors=field_errors, **kwargs)
    if cls is errors.RateLimitedError:
        return cls(message, retry_after=_retry_after(response), **kwargs)
    return cls(message, **kwargs)
