"""The man pages: well-formed, complete against the code, installed where expected."""
import glob
import os
import re
import subprocess

from conftest import BUILD, IPCDUMP, ROOT

MAN_DIR = os.path.join(ROOT, "docs", "man")
PAGES = [os.path.join(MAN_DIR, "ipcdump.8"), os.path.join(MAN_DIR, "ipcdump-filter.7"),
         os.path.join(MAN_DIR, "ipcdumpd.8")]
IPCDUMPD = os.environ.get("IPCDUMPD", os.path.join(BUILD, "ipcdumpd-san"))


def help_text(program=IPCDUMP):
    res = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    return res.stdout


def page_source(name):
    """The roff source with its escaped hyphens plain, as options are written."""
    with open(os.path.join(MAN_DIR, name)) as f:
        return f.read().replace("\\-", "-")


def section(source, title):
    """The lines of one .SH section of a roff source."""
    match = re.search(r"^\.SH \"?%s\"?\n(.*?)(?=^\.SH )" % re.escape(title), source, re.M | re.S)
    assert match, "no section %s" % title
    return match.group(1)


def test_man_pages_render_without_warnings():
    for page in PAGES:
        res = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                             env=dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8"), timeout=60)
        assert res.returncode == 0 and res.stderr == "", "%s: %s" % (page, res.stderr)
        assert "NAME" in res.stdout and "SEE ALSO" in res.stdout


def test_man_page_warnings_are_seen():
    """The check above would see a mistake: an undefined macro is reported."""
    res = subprocess.run(["man", "--warnings", "-l", "-"], input=".TH X 1\n.SH NAME\nx\n.XYZZY\n",
                         capture_output=True, text=True, timeout=60)
    assert "XYZZY" in res.stderr


def test_every_option_of_help_is_in_the_man_page():
    text = help_text()
    options = section(page_source("ipcdump.8"), "OPTIONS")
    longs = re.findall(r"^ *(?:-\w, )?(--[a-z][a-z-]*)", text, re.M)
    shorts = re.findall(r"^ *(-\w), --", text, re.M)
    assert len(longs) > 30 and len(shorts) > 20
    for opt in longs:
        assert re.search(r"^\.B[IR]? (.* )?%s(?![\w-])" % re.escape(opt), options, re.M), \
            "%s is not in ipcdump.8" % opt
    for opt in shorts:
        assert re.search(r"^\.BR %s \"" % re.escape(opt), options, re.M), "%s is not in ipcdump.8" % opt


def test_every_option_of_ipcdumpd_help_is_in_its_man_page():
    text = help_text(IPCDUMPD)
    source = page_source("ipcdumpd.8")
    options = section(source, "OPTIONS")
    longs = re.findall(r"^ *(?:-\w, )?(--[a-z][a-z-]*)", text, re.M)
    shorts = re.findall(r"^ *(-\w), --", text, re.M)
    assert {"--config", "--check-config", "--help", "--version"} <= set(longs) and "-c" in shorts
    for opt in longs:
        assert re.search(r"^\.B[IR]? (.* )?%s(?![\w-])" % re.escape(opt), options, re.M), \
            "%s is not in ipcdumpd.8" % opt
    for opt in shorts:
        assert re.search(r"^\.BR %s \"" % re.escape(opt), options, re.M), "%s is not in ipcdumpd.8" % opt
    # and nothing the program does not take
    for opt in re.findall(r"^\.B[IR]? (?:-\w \", \" )?(--[a-z][a-z-]*)", options, re.M):
        assert opt in longs, "ipcdumpd.8 documents %s, which --help does not list" % opt
    # the default configuration the page names is the program's
    assert "/etc/ipcdump/ipcdumpd.yaml" in text and "/etc/ipcdump/ipcdumpd.yaml" in source


def test_ipcdumpd_man_page_has_its_sections():
    source = page_source("ipcdumpd.8")
    for title in ("OPTIONS", "CONFIGURATION", "SIGNALS", "SYSTEMD", "EXIT STATUS", "ENVIRONMENT", "FILES"):
        section(source, title)
    signals = section(source, "SIGNALS")
    for sig in ("SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"):
        assert sig in signals, "%s is not in ipcdumpd.8's SIGNALS" % sig
    for var in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        assert var in section(source, "ENVIRONMENT")


def test_every_type_name_is_in_the_man_page():
    options = section(page_source("ipcdump.8"), "OPTIONS")
    for name in type_names():
        assert re.search(r"^\.BR? .*\b%s\b" % re.escape(name), options, re.M), "-t %s is not in ipcdump.8" % name


def test_every_filter_field_is_in_the_filter_page():
    fields = filter_fields()
    assert {"type", "pid", "src.comm", "payload"} <= set(fields)
    described = section(page_source("ipcdump-filter.7"), "FIELDS")
    for field in fields:
        assert re.search(r"^\.BR? (.*[\" ])?%s\b" % re.escape(field), described, re.M), \
            "field %s is not in ipcdump-filter.7" % field


def test_make_install_puts_every_file_in_place(tmp_path):
    dest = tmp_path / "root"
    res = subprocess.run(["make", "-s", "-C", ROOT, "BUILD=" + os.path.abspath(BUILD), "install",
                          "DESTDIR=" + str(dest), "PREFIX=/usr"], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    usr = dest / "usr"
    installed = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if not p.is_dir())
    assert installed == [
        "etc/ipcdump/ipcdumpd.yaml",
        "usr/bin/ipcdump",
        "usr/bin/ipcdump-analyze",
        "usr/include/ipcdump/ipcdump.h",
        "usr/lib/libipcdump.a",
        "usr/lib/libipcdump.so",
        "usr/lib/libipcdump.so.0",
        "usr/lib/libipcdump.so.0.1.0",
        "usr/lib/pkgconfig/ipcdump.pc",
        "usr/lib/systemd/system/ipcdumpd.service",
        "usr/sbin/ipcdumpd",
        "usr/share/bash-completion/completions/ipcdump",
        "usr/share/bash-completion/completions/ipcdump-analyze",
        "usr/share/bash-completion/completions/ipcdumpd",
        "usr/share/man/man7/ipcdump-filter.7",
        "usr/share/man/man8/ipcdump-analyze.8",
        "usr/share/man/man8/ipcdump.8",
        "usr/share/man/man8/ipcdumpd.8",
    ]
    assert os.access(usr / "bin" / "ipcdump", os.X_OK)
    assert os.readlink(usr / "bin" / "ipcdump-analyze") == "ipcdump"
    run = subprocess.run([str(usr / "bin" / "ipcdump"), "--help"], capture_output=True, text=True, timeout=30)
    assert run.returncode == 0 and "--type" in run.stdout
    # man finds each page there by name, ipcdump-analyze's through ipcdump's
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    for name, expect in [("ipcdump", "trace inter-process"), ("ipcdump-filter", "filter expressions"),
                         ("ipcdump-analyze", "trace inter-process"), ("ipcdumpd", "collector service")]:
        page = subprocess.run(["man", "-M", str(usr / "share" / "man"), name], capture_output=True,
                              text=True, env=env, timeout=60)
        assert page.returncode == 0 and expect in page.stdout, "man %s: %s" % (name, page.stderr)


def c_table_strings(path, start):
    """Every string literal of the C initializer that begins at start."""
    with open(os.path.join(ROOT, "src", path)) as f:
        source = f.read()
    at = source.index(start)
    return re.findall(r'"([^"]*)"', source[at:source.index("};", at)])


def family_table_strings(suffix):
    """The strings of every family's table named *suffix (src/families/*.c), in file order."""
    names = []
    for path in sorted(glob.glob(os.path.join(ROOT, "src", "families", "*.c"))):
        with open(path) as f:
            source = f.read()
        for m in re.finditer(r"\w+%s = \{" % re.escape(suffix), source):
            names += c_table_strings(os.path.relpath(path, os.path.join(ROOT, "src")), m.group(0))
    return names


def type_names():
    """The names -t takes: the registry's own ("all"), then each family's alias table."""
    return c_table_strings("engine/registry.c", "all_alias = {") + family_table_strings("_aliases[]")


def filter_fields():
    """The fields of the filter language: filter_expr.c's table, then those the families declare."""
    return c_table_strings("filter/filter_expr.c", "} fields[] = {") + family_table_strings("_fields[]")


def test_every_option_of_help_is_in_the_readme():
    with open(os.path.join(ROOT, "README.md")) as f:
        usage = re.search(r"^## Usage\n(.*?)^## ", f.read(), re.M | re.S).group(1)
    for opt in re.findall(r"^ *(?:-\w, )?(--[a-z][a-z-]*)", help_text(), re.M):
        assert re.search(r"^ *(-\w, )?%s(?![\w-])" % re.escape(opt), usage, re.M), "%s is not in README.md" % opt
