import os
import re
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from integrations.sandbox.models import OAuthApplication
from integrations.sandbox.oauth.forms import ApplicationRegisterForm
from integrations.sandbox.oauth.services import oauth_application_register, oauth_application_secret_rotate

CLIENT_ID_VARIABLE = "WEBWORK_OAUTH_CLIENT_ID"
CLIENT_SECRET_VARIABLE = "WEBWORK_OAUTH_CLIENT_SECRET"  # noqa: S105 (a variable name)
_ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


class Command(BaseCommand):
    help = (
        "Register an OAuth2 app in the WebWork sandbox and print its client id and secret. "
        "With --env-file, write them to that file instead (other lines are kept) and print only "
        "the client id; an app already named there is reused, so running it twice is safe."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="the app's name, shown on the consent page")
        parser.add_argument("--redirect-uri", default="", help="the exact redirect URI (authorization_code)")
        parser.add_argument(
            "--grant-type",
            default=OAuthApplication.GrantType.AUTHORIZATION_CODE,
            choices=OAuthApplication.GrantType.values,
        )
        parser.add_argument(
            "--owner", default="", help="email of the user a client_credentials token acts as"
        )
        parser.add_argument("--env-file", type=Path, help="write WEBWORK_OAUTH_CLIENT_ID/SECRET to this file")

    def handle(self, *args, **options):
        form = ApplicationRegisterForm(
            data={
                "name": options["name"],
                "redirect_uri": options["redirect_uri"],
                "grant_type": options["grant_type"],
                "owner": options["owner"],
            }
        )
        if not form.is_valid():
            problems = "; ".join(
                f"--{field.replace('_', '-')}: {' '.join(messages)}"
                for field, messages in form.errors.items()
            )
            raise CommandError(problems)
        env_file = options["env_file"]
        if env_file is None:
            application, secret = oauth_application_register(**form.cleaned_data)
            self.stdout.write(f"client_id: {application.client_id}")
            self.stdout.write(f"client_secret: {secret}")
            return
        application = self.write_env_file(env_file, form.cleaned_data)
        self.stdout.write(f"client_id: {application.client_id}")

    def write_env_file(self, env_file, fields):
        values = env_file_read(env_file)
        application = OAuthApplication.objects.filter(
            name=fields["name"],
            redirect_uri=fields["redirect_uri"],
            client_id=values.get(CLIENT_ID_VARIABLE) or "",
        ).first()
        if application is None:
            application, secret = oauth_application_register(**fields)
        else:
            self.application_update(application, fields)
            secret = values.get(CLIENT_SECRET_VARIABLE)
            if not application.check_secret(secret):
                secret = oauth_application_secret_rotate(application=application)
        env_file_write(env_file, {CLIENT_ID_VARIABLE: application.client_id, CLIENT_SECRET_VARIABLE: secret})
        return application

    def application_update(self, application, fields):
        if application.grant_type != fields["grant_type"] or application.owner != fields["owner"]:
            application.grant_type, application.owner = fields["grant_type"], fields["owner"]
            application.save(update_fields=["grant_type", "owner"])


def env_file_read(path):
    """The variables assigned in a .env file ({} when it does not exist); quotes are removed."""
    if not path.is_file():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        match = _ASSIGNMENT.match(line)
        if match:
            values[match[1]] = match[2].strip("'\"")
    return values


def env_file_write(path, assignments):
    """Set `assignments` in the .env file at `path`: replace their lines, keep every other line,
    append the missing ones. Written atomically and readable by the owner only (it holds a secret)."""
    lines = path.read_text().splitlines() if path.is_file() else []
    pending = dict(assignments)
    kept = []
    for line in lines:
        match = _ASSIGNMENT.match(line)
        if match and match[1] in assignments:
            if match[1] in pending:
                kept.append(f"{match[1]}={pending.pop(match[1])}")
            continue
        kept.append(line)
    kept.extend(f"{name}={value}" for name, value in pending.items())
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write("\n".join(kept) + "\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
