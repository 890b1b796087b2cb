from django.core.management.base import BaseCommand, CommandError

from integrations.sandbox.models import AccessToken, SandboxUser
from integrations.sandbox.tokens import personal_token_issue


class Command(BaseCommand):
    help = (
        "Create a personal access token (valid 6 months) for a WebWork sandbox user and print it: "
        "one line, nothing else, so it can be captured by a script."
    )

    def add_arguments(self, parser):
        parser.add_argument("email", help="the sandbox user's email")
        parser.add_argument("--name", default="Personal access token", help="a label for the token")

    def handle(self, *args, email, name, **options):
        limit = AccessToken._meta.get_field("name").max_length
        if not name.strip() or len(name) > limit:
            raise CommandError(f"--name must be 1 to {limit} characters.")
        user = SandboxUser.objects.filter(email__iexact=email.strip()).first()
        if user is None:
            raise CommandError(f"No sandbox user has the email {email!r}; check the address.")
        raw, _ = personal_token_issue(user=user, name=name.strip())
        self.stdout.write(raw)
