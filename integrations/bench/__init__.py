"""The benchmarks of `python manage.py bench` (see docs/performance.md): a development app,
installed only with the WebWork sandbox (WEBWORK_SANDBOX), never in a deployment.

* sync.py: a full first sync of a seeded sandbox workspace, the plan's request count beside the
  requests made, 429s, the naive plan's cost, and a convergence summary.
* upsert.py: time-entry rows upserted vs a bare `bulk_create` of the same rows.
* memory.py: the peak memory of syncing time entries for few dates vs many dates.
* intake.py: the webhook intake storing and acknowledging deliveries on one web process.

Every benchmark runs on throwaway databases (environment.py), never the developer's. The sync
talks to the sandbox over HTTP only (httpx's WSGI transport into this Django); only the harness in
sandbox_side.py (seeding, a token, counting the sandbox's rows for the comparison) touches the
sandbox directly, as WebWork's operator would.
"""
