from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Prepare the sandbox for `make demo`."

    def handle(self, *args, **options):
        self.stdout.write("Sandbox ready (seeding and the OAuth app arrive with the sandbox API).")
