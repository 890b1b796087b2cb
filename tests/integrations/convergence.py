"""The convergence check: a mirrored table equals the sandbox's state for that workspace, field by field.

Each resource registers how to read both sides as {webwork_id: {field: value}}; `assert_converged`
compares them and names every difference.
"""

from decimal import Decimal

from integrations import models as mirror
from integrations.sandbox import models as sandbox

CHECKS = {}


def check(name):
    def register(fn):
        CHECKS[name] = fn
        return fn

    return register


def _num(value):
    return None if value is None else Decimal(str(value)).normalize()


@check("members")
def members(workspace):
    theirs = {
        str(m.user_id): {
            "email": m.user.email,
            "firstname": m.user.firstname,
            "lastname": m.user.lastname,
            "role": m.role,
            "status": m.status,
            "weekly_hours_limit": m.weekly_hours_limit,
            "archived": m.deleted_at is not None,
        }
        for m in sandbox.Membership.objects.select_related("user").filter(workspace_id=workspace.webwork_id)
    }
    ours = {
        m.webwork_id: {
            "email": m.email,
            "firstname": m.firstname,
            "lastname": m.lastname,
            "role": m.role,
            "status": m.status,
            "weekly_hours_limit": m.weekly_hours_limit,
            "archived": m.archived_at is not None,
        }
        for m in mirror.Member.objects.current().filter(workspace=workspace)
    }
    return ours, theirs


def differences(name, workspace):
    ours, theirs = CHECKS[name](workspace)
    problems = []
    for webwork_id in sorted(set(ours) | set(theirs)):
        if webwork_id not in ours:
            problems.append(f"{name} {webwork_id}: in WebWork, missing from the mirror")
        elif webwork_id not in theirs:
            problems.append(f"{name} {webwork_id}: in the mirror, gone from WebWork")
        else:
            for key, value in theirs[webwork_id].items():
                if ours[webwork_id].get(key) != value:
                    problems.append(
                        f"{name} {webwork_id}.{key}: mirror {ours[webwork_id].get(key)!r} != {value!r}"
                    )
    return problems


def assert_converged(workspace, *names):
    problems = [p for name in (names or CHECKS) for p in differences(name, workspace)]
    assert not problems, "The mirror differs from WebWork:\n" + "\n".join(problems[:50])
