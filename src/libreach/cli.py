"""The `libreach` console script: every subcommand is a Django management command."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "libreach.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "libreach"
    if len(argv) == 1:
        argv.append("help")
    # Subcommands are spelt with hyphens (import-marc), their Python modules cannot be.
    if not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    if argv[1] == "demo":
        prepare_demo_environment(argv[2:])
    execute_from_command_line(argv)


def prepare_demo_environment(args: list[str]) -> None:
    """The demo never touches a configured production database and prints e-mail to the
    console instead of sending it. Django's debug pages (every URL pattern, settings,
    code) only with --debug: a newcomer meets the site's own error pages."""
    os.environ.pop("DATABASE_URL", None)
    if "--debug" in args:
        os.environ["LIBREACH_DEBUG"] = "1"
    os.environ.setdefault(
        "LIBREACH_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )


if __name__ == "__main__":
    main()
