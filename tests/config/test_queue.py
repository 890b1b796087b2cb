"""A task queued with django-q2 runs on a real cluster, on whichever broker the settings chose."""

import time

import pytest
from django.db import connections
from django_q.brokers import get_broker
from django_q.cluster import Cluster
from django_q.models import Success
from django_q.tasks import async_task


@pytest.mark.cluster
@pytest.mark.django_db(transaction=True)
def test_a_queued_task_runs_on_a_real_cluster():
    task_id = async_task("math.hypot", 3, 4, task_name="foundation-check")
    connections.close_all()  # the cluster's processes open their own connections
    cluster = Cluster(get_broker())
    cluster.start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not Success.objects.filter(id=task_id).exists():
            time.sleep(0.25)
    finally:
        cluster.stop()

    task = Success.objects.get(id=task_id)
    assert task.result == 5.0
    assert task.name == "foundation-check"
