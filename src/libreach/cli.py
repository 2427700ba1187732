"""The `libreach` console script: every subcommand is a Django management command.

libreach's own commands (those its apps define) are spelt with hyphens (import-marc),
as their Python modules cannot be; the underscore spelling works too, and so does either
spelling for Django's commands. `libreach`, `libreach help` and `libreach --help` say
what libreach is and list its commands first, Django's after.
"""

from __future__ import annotations

import os
import sys
import textwrap
from difflib import get_close_matches

import django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import ManagementUtility, get_commands, load_command_class

ABOUT = (
    "libreach keeps a closed academic library serving its readers, and lets a regional "
    "consortium of libraries work as one: contactless borrowing, a union catalogue, "
    "readers and staff per member library, a JSON API."
)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "libreach.settings")
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "libreach"
    if len(argv) == 1:
        argv.append("help")
    if canonical(argv[1]) == "demo":
        prepare_demo_environment(argv[2:])
    Utility(argv).execute()


def canonical(name: str) -> str:
    """The module name of a command as typed: import-marc → import_marc."""
    return name if name.startswith("-") else name.replace("-", "_")


def spelt(name: str) -> str:
    """How the help spells one of libreach's commands: import_marc → import-marc."""
    return name.replace("_", "-")


def prepare_demo_environment(args: list[str]) -> None:
    """The demo never touches a configured production database, and logs one line per
    e-mail instead of sending it (the whole message kept in $LIBREACH_HOME/mail/).
    Django's debug pages (every URL pattern, settings, code) only with --debug: a newcomer
    meets the site's own error pages."""
    os.environ.pop("DATABASE_URL", None)
    if "--debug" in args:
        os.environ["LIBREACH_DEBUG"] = "1"
    os.environ.setdefault("LIBREACH_EMAIL_BACKEND", "libreach.site.demo_mail.DemoEmailBackend")


class Utility(ManagementUtility):
    def execute(self) -> None:
        # The apps' commands are known once Django is set up; Django's execute() sets it
        # up too, and reports settings it cannot load.
        try:
            settings.INSTALLED_APPS  # noqa: B018 - loads the settings
        except (ImproperlyConfigured, ImportError):
            pass
        else:
            django.setup()
        # The command's usage line names it as libreach spells it (libreach import-marc).
        if len(self.argv) > 2 and self.argv[1] == "help" and not self.argv[2].startswith("-"):
            self.argv[2] = display_name(self.argv[2])
        elif not self.argv[1].startswith("-") and self.argv[1] != "help":
            self.argv[1] = display_name(self.argv[1])
        super().execute()

    def fetch_command(self, subcommand: str):
        name = canonical(subcommand)
        commands = get_commands()
        if name not in commands:
            known = [spelt(n) if ours(app) else n for n, app in commands.items()]
            close = get_close_matches(subcommand, known, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            sys.stderr.write(
                f"Unknown command: {subcommand!r}.{hint}\n"
                f"Type '{self.prog_name} help' for the list of commands.\n"
            )
            sys.exit(2)  # bad arguments, as every libreach command says them
        return super().fetch_command(name)

    def main_help_text(self, commands_only: bool = False) -> str:
        return help_text(commands_only=commands_only)


def ours(app: str) -> bool:
    return app == "libreach" or app.startswith("libreach.")


def display_name(typed: str) -> str:
    """libreach's commands by their hyphenated name, whichever way they were typed."""
    name = canonical(typed)
    return spelt(name) if ours(get_commands().get(name, "")) else typed


def summary(name: str, app: str) -> str:
    """A command's one-line description: its `summary`, else its help's first sentence."""
    command = load_command_class(app, name)
    text = getattr(command, "summary", "") or str(command.help or "")
    return text.split(". ")[0].rstrip(".")


def help_text(*, commands_only: bool = False) -> str:
    commands = get_commands()
    own = sorted(name for name, app in commands.items() if ours(app))
    others: dict[str, list[str]] = {}
    for name, app in commands.items():
        if not ours(app):
            label = "django" if app == "django.core" else app.rpartition(".")[-1]
            others.setdefault(label, []).append(name)
    if commands_only:
        return "\n".join(sorted([spelt(n) for n in own] + [n for n in commands if n not in own]))

    width = max(len(spelt(name)) for name in own) + 2
    lines = [
        *textwrap.wrap(ABOUT, 88),
        "",
        "Usage: libreach <command> [options]",
        "       libreach help <command>   (or: libreach <command> --help)",
        "",
        "libreach's commands:",
    ]
    for name in own:
        lines.append(f"  {spelt(name).ljust(width)}{summary(name, commands[name])}")
    lines += [
        "",
        "Django's commands (the database, the server, accounts, translations, checks):",
    ]
    for app in sorted(others):
        lines.append(f"  [{app}]")
        lines += textwrap.wrap(
            "  ".join(sorted(others[app])), 84, initial_indent="    ", subsequent_indent="    "
        )
    lines += [
        "",
        "Commands are spelt with hyphens or underscores alike (import-marc, import_marc).",
        "Settings come from the environment: docs/operations.md.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
