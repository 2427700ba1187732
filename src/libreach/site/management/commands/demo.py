"""libreach demo [--host ADDRESS] [--port N] [--no-serve]"""

import ipaddress
import re

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from libreach.core.progress import CommandProgress
from libreach.core.worker import start_thread
from libreach.site.demo import load_demo, proxy_pickup_lines


class Command(BaseCommand):
    summary = "Try libreach: a demo consortium on SQLite, its logins printed, served at once"
    help = (
        "Set up (or reuse) the demo consortium in an SQLite database in $LIBREACH_HOME, "
        "print the demo logins and serve it (on 127.0.0.1 unless --host says otherwise)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="address to listen on (default 127.0.0.1, this machine only); 0.0.0.0 "
            "serves every network this machine is on, to try the pages on a phone",
        )
        parser.add_argument(
            "--port", type=int, default=8000, help="port to listen on (default 8000)"
        )
        parser.add_argument(
            "--debug",
            action="store_true",
            help="show Django's debug pages on errors (settings and code, to anyone who "
            "can reach the demo) instead of the site's own error pages",
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="set up the database and print the logins, then exit",
        )

    def handle(self, *args, host: str, port: int, no_serve: bool, **options):
        if not 0 < port < 65536:
            raise CommandError(f"Bad port {port}.", returncode=2)
        if not valid_host(host):
            raise CommandError(
                f"Bad host {host!r}: give an IP address or a host name.", returncode=2
            )
        if connection.vendor != "sqlite":
            raise CommandError("The demo runs on its own SQLite database only.", returncode=2)
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Loading the demo consortium (kept if already there) ...")
        # A bar per catalogue file on a terminal; in a log, the line after each file.
        with CommandProgress(self.stdout._out, lines=False) as progress:
            logins = load_demo(
                stdout=_Lines(progress),
                progress=lambda label: progress.task(label, total=None, unit="bytes"),
            )

        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        address = f"http://{f'[{shown}]' if ':' in shown else shown}:{port}/"
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
        # The demo's proxy pickup cannot be handed over without the proxy's whole ID number.
        for line in proxy_pickup_lines() + [""]:
            self.stdout.write(f"  {line}" if line else "")
        if no_serve:
            return
        # One worker thread beside the server: quarantine release, closures, notices.
        # A daemon thread, so it ends with the server; runserver without the reloader
        # keeps it to this one process.
        start_thread()
        self.stdout.write("Background worker started.")
        if not is_loopback(host):
            # A phone asks for this machine by its network address, which the default
            # allowed hosts do not list: the demo answers to any name it is reached by.
            settings.ALLOWED_HOSTS = ["*"]
            self.stdout.write(
                f"Listening on {host}: open http://<this machine's address>:{port}/ on a "
                "phone on the same network. Anyone on that network can reach the demo."
            )
        call_command(
            "runserver",
            f"{f'[{host}]' if ':' in host else host}:{port}",
            use_reloader=False,
            # Without debug, runserver serves the stylesheets only when told to.
            insecure_serving=True,
        )


class _Lines:
    """load_demo's lines, printed above the progress bars."""

    def __init__(self, progress: CommandProgress) -> None:
        self.progress = progress

    def write(self, line: str) -> None:
        self.progress.print(line)


_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


def valid_host(host: str) -> bool:
    """An IP address (v4 or v6) or a host name such as localhost."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(_HOST_NAME.match(host))
    return True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
