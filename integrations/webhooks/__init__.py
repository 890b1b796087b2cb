"""Webhook intake: WebWork posts events about a workspace; we verify, store, acknowledge, then process.

* registration.py registers our intake URL at WebWork when a workspace is connected (and removes it on
  disconnect); the registration's token is kept encrypted on the Workspace.
* views.py is the intake: find the workspace by the URL's uuid, check the token in constant time,
  store the raw delivery and answer 202 at once.
* processing.py applies a delivery to the mirror in a django-q2 task (tasks.py), idempotently;
  handlers.py says what each event does.
"""
