from django.contrib.auth.hashers import check_password, make_password
from django.db import models
from django.utils.timezone import now


class Role(models.TextChoices):
    OWNER = "Owner"
    EXECUTIVE_MANAGER = "Executive manager"
    TEAM_MANAGER = "Team manager"
    PROJECT_MANAGER = "Project manager"
    REGULAR_USER = "Regular User"
    PROJECT_VIEWER = "Project viewer"


# Only these roles may use the API (WebWork API V2: "restricted to workspace
# owners and executive managers").
API_ROLES = frozenset({Role.OWNER, Role.EXECUTIVE_MANAGER})


class MemberStatus(models.TextChoices):
    ACTIVE = "active"
    INACTIVE = "inactive"
    LEFT = "left"
    UNKNOWN = "unknown"


class SandboxUser(models.Model):
    """A WebWork account. Its id is the `user_id` / member id of the API."""

    email = models.EmailField(unique=True)
    firstname = models.CharField(max_length=100)
    lastname = models.CharField(max_length=100)
    password = models.CharField(max_length=128, blank=True)
    avatar = models.CharField(max_length=200, blank=True, null=True)
    timezone = models.CharField(max_length=64, default="UTC")
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return f"{self.full_name} <{self.email}>"

    @property
    def full_name(self):
        return f"{self.firstname} {self.lastname}".strip()

    def set_password(self, raw_password):
        self.password = make_password(raw_password)

    def check_password(self, raw_password):
        return bool(self.password) and check_password(raw_password, self.password)


class Workspace(models.Model):
    """A WebWork workspace (a "team" in WebWork's own tables)."""

    name = models.CharField(max_length=200)
    owner = models.ForeignKey(SandboxUser, on_delete=models.PROTECT, related_name="owned_workspaces")
    status = models.CharField(max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    # Reports give times with the owner's timezone offset.
    timezone = models.CharField(max_length=64, default="UTC")
    currency = models.CharField(max_length=3, default="USD")
    # Time requests created by an Owner or Executive manager are approved at once.
    auto_approve_manager_time_requests = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now)
    activated_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["id"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's place in a workspace: the API's "member" (and "project viewer")."""

    class RateType(models.TextChoices):
        HOURLY = "hourly"
        FIXED = "fixed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(SandboxUser, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices, default=Role.REGULAR_USER)
    status = models.CharField(max_length=16, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    team_name = models.CharField(max_length=100, blank=True, null=True)
    title = models.CharField(max_length=100, blank=True, null=True)
    rate = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    rate_type = models.CharField(max_length=16, choices=RateType.choices, default=RateType.HOURLY)
    # 1: this member may see rates and amounts; 0: hidden.
    rate_status = models.PositiveSmallIntegerField(default=0)
    weekly_hours_limit = models.PositiveIntegerField(null=True, blank=True)
    screenshots = models.CharField(max_length=32, blank=True, null=True)
    is_blocked = models.BooleanField(default=False)
    invitation_token = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=now)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["workspace_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="sandbox_membership_unique"),
        ]

    def __str__(self):
        return f"{self.user} in {self.workspace} ({self.role})"

    @property
    def may_use_api(self):
        return (
            self.role in API_ROLES
            and self.status == MemberStatus.ACTIVE
            and self.deleted_at is None
            and not self.is_blocked
        )

    @property
    def sees_rates(self):
        return self.role == Role.OWNER or self.rate_status == 1
