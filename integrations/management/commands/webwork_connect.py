"""`manage.py webwork_connect --token TOKEN [--user USERNAME]`: connect with a personal access token.

For scripts and hosted background syncs. Prints the workspaces the token's user can manage, one
`<id><TAB><name>` per line on stdout; everything else goes to stderr.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from integrations.services.sign_in import SignInError, sign_in_with_token
from integrations.services.workspaces import connection_workspaces_connect


class Command(BaseCommand):
    help = (
        "Connect Clockroom to WebWork with a personal access token (WebWork: Settings > REST API > "
        "Personal Access Tokens) and print the workspaces it can manage, one 'id<TAB>name' per line."
    )

    def add_arguments(self, parser):
        parser.add_argument("--token", required=True, help="The personal access token, as WebWork showed it.")
        parser.add_argument(
            "--user",
            help="The Clockroom user to hold the connection (must exist). Default: webwork-<WebWork id>.",
        )

    def handle(self, *args, token, user=None, **options):
        token = (token or "").strip()
        if not token:
            raise CommandError("The token is empty: pass the personal access token with --token.")
        holder = None
        if user:
            holder = get_user_model().objects.filter(username=user).first()
            if holder is None:
                raise CommandError(
                    f"There is no Clockroom user named {user!r}. Create it first, or leave out --user."
                )

        try:
            connection = sign_in_with_token(token=token, user=holder)
        except SignInError as exc:
            raise CommandError(exc.message) from exc

        accesses = sorted(
            connection.accesses.select_related("workspace"),
            key=lambda a: (a.workspace.name, a.workspace.webwork_id),
        )
        manageable = [access for access in accesses if access.can_manage]
        who = (
            f"{connection.webwork_user_id} ({connection.email})"
            if connection.email
            else connection.webwork_user_id
        )
        self.stderr.write(f"Connected WebWork user {who} for Clockroom user {connection.user.username}.")
        for access in manageable:
            self.stdout.write(f"{access.workspace.webwork_id}\t{access.workspace.name}")
        others = len(accesses) - len(manageable)
        if not manageable:
            self.stderr.write(
                "This account is not an Owner or Executive manager of any workspace: nothing to sync."
            )
        elif others:
            self.stderr.write(f"{others} other workspace(s) listed, where this account cannot manage.")

        for workspace in connection_workspaces_connect(connection=connection):
            self.stderr.write(
                f"Connected {workspace.name}: its first sync is queued (a django-q2 cluster runs it; "
                f"`manage.py webwork_sync --workspace {workspace.webwork_id}` runs one now)."
            )
