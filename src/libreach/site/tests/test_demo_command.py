"""`libreach demo`'s options: each explained, bad values refused before anything is done."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from libreach.site.management.commands.demo import Command, is_loopback, valid_host


def test_every_option_of_the_demo_has_help_text():
    parser = Command().create_parser("libreach", "demo")
    ours = [a for a in parser._actions if a.dest in {"host", "port", "no_serve"}]
    assert {a.dest for a in ours} == {"host", "port", "no_serve"}
    assert all(a.help for a in ours)
    assert "0.0.0.0" in parser.format_help()


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        ("127.0.0.1", True),
        ("0.0.0.0", True),
        ("::", True),
        ("localhost", True),
        ("demo.example.edu.cn", True),
        ("", False),
        ("not a host", False),
        ("-leading.example", False),
        ("http://127.0.0.1", False),
    ],
)
def test_hosts_the_demo_accepts(host, valid):
    assert valid_host(host) is valid


def test_only_loopback_hosts_keep_the_default_allowed_hosts():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")


@pytest.mark.parametrize("args", [["--host", "not a host"], ["--port", "0"]])
def test_bad_host_or_port_is_refused_with_exit_code_2(db, args):
    with pytest.raises(CommandError) as refused:
        call_command("demo", *args, "--no-serve")
    assert refused.value.returncode == 2
