"""libreach demo [--port N] [--no-serve]"""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from libreach.core.worker import start_thread
from libreach.site.demo import load_demo


class Command(BaseCommand):
    help = (
        "Set up (or reuse) the demo consortium in an SQLite database in $LIBREACH_HOME, "
        "print the demo logins and serve it on 127.0.0.1."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true", help="set up and print, then exit")

    def handle(self, *args, port: int, no_serve: bool, **options):
        if connection.vendor != "sqlite":
            raise CommandError("The demo runs on its own SQLite database only.", returncode=2)
        if not 0 < port < 65536:
            raise CommandError(f"Bad port {port}.", returncode=2)
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading the demo consortium (kept if already there) ...")
        logins = load_demo(stdout=self.stdout)

        address = f"http://127.0.0.1:{port}/"
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"libreach demo: {address}"))
        self.stdout.write(f"  API: {address}api/v1/docs   admin: {address}admin/")
        width = max(len(login.who) for login in logins)
        self.stdout.write(f"  {'who'.ljust(width)}  user name      password")
        for login in logins:
            self.stdout.write(
                f"  {login.who.ljust(width)}  {login.username.ljust(13)}  {login.password}"
            )
        self.stdout.write("")
        if no_serve:
            return
        # One worker thread beside the server: quarantine release, closures, notices.
        # A daemon thread, so it ends with the server; runserver without the reloader
        # keeps it to this one process.
        start_thread()
        self.stdout.write("Background worker started.")
        call_command("runserver", f"127.0.0.1:{port}", use_reloader=False)
