"""Bash completion (completions/ipcdump), run in bash as a user's TAB would."""
import json
import os
import re
import subprocess

from conftest import IPCDUMP, ROOT
from test_docs import filter_fields, help_text, type_names

SCRIPT = os.path.join(ROOT, "completions", "ipcdump")


def complete(*words, command=IPCDUMP):
    """COMPREPLY for the command line `command words...`, the last word being completed."""
    program = r'''
source "$1"
shift
COMP_WORDS=("$@")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
COMP_LINE="${COMP_WORDS[*]}"
COMP_POINT=${#COMP_LINE}
_ipcdump
printf '%s\n' "${COMPREPLY[@]}"
'''
    res = subprocess.run(["bash", "--norc", "--noprofile", "-c", program, "bash", SCRIPT, command, *words],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    return [line for line in res.stdout.split("\n") if line]


def help_long_options():
    return set(re.findall(r"^ *(?:-\w, )?(--[a-z][a-z-]*)", help_text(), re.M))


def test_a_type_name():
    assert complete("-t", "pi") == ["pipe"]
    assert sorted(complete("--type", "unix-s")) == ["unix-seqpacket", "unix-stream"]


def test_a_type_in_a_comma_list():
    assert complete("-t", "pipe,unix-d") == ["pipe,unix-dgram"]


def test_every_type_name_and_only_those():
    offered = complete("-t", "")
    assert sorted(offered) == sorted(type_names())
    for name in offered:
        res = subprocess.run([IPCDUMP, "-t", name, "--help"], capture_output=True, timeout=30)
        assert res.returncode == 0, "-t %s: %s" % (name, res.stderr)


def test_an_option_that_takes_a_value_ends_with_equals():
    assert complete("--ti") == ["--time="]
    assert complete("--hex") == ["--hex"]
    assert sorted(complete("--sta")) == ["--stats", "--stats="]


def test_long_options_are_those_of_help():
    offered = {o.rstrip("=") for o in complete("--")}
    assert offered == help_long_options()


def test_without_the_program_the_built_in_list_is_help():
    offered = {o.rstrip("=") for o in complete("--", command="/nonexistent/ipcdump")}
    assert offered == help_long_options()


def test_short_options():
    offered = complete("-")
    assert {"-t", "-x", "-w", "-r", "-f"} <= set(offered)
    assert set(offered) == set(re.findall(r"^ *(-\w), --", help_text(), re.M))


def test_formats_and_time_modes_are_accepted_values():
    assert complete("-f", "") == ["text", "json", "csv"]
    assert complete("--format", "j") == ["json"]
    modes = complete("--time", "=", "")
    assert modes == ["clock", "date", "epoch", "delta", "relative", "none"]
    assert complete("--time", "=", "de") == ["delta"]
    assert complete("--time=de") == ["delta"]
    for value in complete("-f", ""):
        assert subprocess.run([IPCDUMP, "-f", value, "--help"], capture_output=True).returncode == 0
    for value in modes:
        assert subprocess.run([IPCDUMP, "--time=" + value, "--help"], capture_output=True).returncode == 0
    assert subprocess.run([IPCDUMP, "--time=bogus", "--help"], capture_output=True).returncode == 2


def test_filter_fields_after_the_options():
    assert sorted(complete("-t", "pipe", "-x", "src.")) == ["src.comm", "src.pid", "src.port"]
    offered = complete("-x", "")
    assert set(filter_fields()) <= set(offered)
    assert complete("-x", "comm", "=", "x", "an") == ["and"]


def test_operators_after_a_field_and_types_after_type():
    assert complete("pid", "<") == ["<", "<="]
    assert sorted(complete("type", "==", "lo")) == ["lo", "loopback", "loopback-tcp", "loopback-tcp-conn", "loopback-udp", "lost"]


def test_a_capture_file_after_r(tmp_path):
    (tmp_path / "trace.ipcd").write_bytes(b"")
    assert complete("-r", str(tmp_path / "tr")) == [str(tmp_path / "trace.ipcd")]


def test_a_command_after_double_dash():
    assert "bash" in complete("-t", "pipe", "--", "bas")


def test_every_type_the_filter_takes_after_type():
    res = subprocess.run([IPCDUMP, "-F", "type == bogus"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 2
    valid = re.search(r"expected (.*) at column", res.stderr).group(1).split(", ")
    assert "lost" in valid and "unix-conn" in valid
    assert set(valid) <= set(complete("type", "==", ""))
