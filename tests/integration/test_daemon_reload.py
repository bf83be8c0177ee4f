"""SIGHUP reloads ipcdumpd's configuration while a workload runs: outputs and
filters change without losing or duplicating a message; a bad configuration
is logged and the running one goes on; keys the collectors were loaded with
wait for a restart."""
import signal
import time

from daemon_run import daemons, Writer, file_output, numbers  # noqa: F401 (daemons: a fixture)

N = 300  # messages, 10 ms apart: three seconds of workload


def write_conf(path, trace_filter=None, outputs=(), types="[pipe]"):
    text = "trace:\n  types: %s\n  payload: 64\n" % types
    if trace_filter:
        text += "  filter: '%s'\n" % trace_filter
    text += "outputs:\n" + "".join(outputs) if outputs else "outputs: []\n"
    path.write_text(text)


def reload_midway(d, w, conf_path, write, expect=r"configuration reloaded"):
    """Rewrites the configuration a second into the workload, SIGHUPs, waits for the log's answer."""
    time.sleep(1)
    write()
    at = d.send(signal.SIGHUP)
    line = d.wait_for(expect, after=at)
    assert line, "no %r after SIGHUP: %r" % (expect, d.lines[at:])
    w.wait()
    time.sleep(0.5)  # the last reads join
    return at


def test_a_new_output_filter_on_the_same_path_has_every_message_once(tmp_path, daemons):
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    w = None
    comm_filter = 'src.comm == "%s"'
    # the writer's comm is only known once it runs: start with a filter on its name's prefix
    write_conf(conf, outputs=[file_output(out, 'src.comm == "ipcdw*"')])
    d = daemons(conf)
    w = Writer(N)
    reload_midway(d, w, conf, lambda: write_conf(
        conf, outputs=[file_output(out, comm_filter % w.comm + " and type == pipe")]))
    lines = d.stop()
    got = numbers(out, w.comm)
    assert sorted(got) == list(range(N)), "missing %s, twice %s" % (
        sorted(set(range(N)) - set(got)), sorted({n for n in got if got.count(n) > 1}))
    assert got == sorted(got)  # the old output closed before the new one wrote
    assert any("closing output 1 (file %s)" % out in l for l in lines)


def test_a_second_output_added_counts_from_the_reload_on(tmp_path, daemons):
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, outputs=[file_output(first)])
    d = daemons(conf)
    w = Writer(N)
    reload_midway(d, w, conf, lambda: write_conf(conf, outputs=[file_output(first), file_output(second)]))
    lines = d.stop()
    got1, got2 = numbers(first, w.comm), numbers(second, w.comm)
    assert sorted(got1) == list(range(N))  # kept as it was: neither reopened nor written twice
    assert got2, "the new output got nothing"
    assert sorted(got2) == list(range(got2[0], N)), "not every message from the reload on: %s" % got2
    assert 0 < got2[0] < N - 1
    assert any("1 kept as they were" in l for l in lines)
    assert any("output 2 (file %s): " % second in l for l in lines)


def test_a_wider_trace_filter_is_not_narrowed_by_the_old_one(tmp_path, daemons):
    """Nothing of the old filter stays in the kernel: what it dropped, the new one passes."""
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, trace_filter='comm == "nobody-at-all"', outputs=[file_output(out)])
    d = daemons(conf)
    w = Writer(N)
    reload_midway(d, w, conf, lambda: write_conf(conf, trace_filter='src.comm == "%s"' % w.comm,
                                                 outputs=[file_output(out)]))
    d.stop()
    got = numbers(out, w.comm)
    assert got, "nothing passed the new filter"
    assert got == list(range(got[0], N))
    assert 0 < got[0] < N - 1


def test_a_bad_configuration_is_logged_and_the_running_one_goes_on(tmp_path, daemons):
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, outputs=[file_output(out)])
    d = daemons(conf)
    w = Writer(N)
    at = reload_midway(d, w, conf, lambda: conf.write_text("trace:\n  typs: [pipe]\noutputs: []\n"),
                       expect="keeping the running configuration")
    lines = d.stop()
    assert "%s:2:3: error: unknown key 'typs' in trace (did you mean 'types'?)" % conf in lines[at:]
    assert "ipcdumpd: error: %s: keeping the running configuration" % conf in lines[at:]
    assert sorted(numbers(out, w.comm)) == list(range(N))


def test_an_output_that_cannot_start_keeps_the_running_configuration(tmp_path, daemons):
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, outputs=[file_output(out)])
    d = daemons(conf)
    write_conf(conf, outputs=[file_output(out), file_output(tmp_path / "no" / "such" / "dir.jsonl")])
    at = d.send(signal.SIGHUP)
    assert d.wait_for("keeping the running configuration", after=at)
    w = Writer(20)
    w.wait()
    time.sleep(0.5)
    d.stop()
    assert sorted(numbers(out, w.comm)) == list(range(20))


def test_keys_the_collectors_were_loaded_with_wait_for_a_restart(tmp_path, daemons):
    out = tmp_path / "events.jsonl"
    conf = tmp_path / "d.yaml"
    write_conf(conf, outputs=[file_output(out)])
    d = daemons(conf)
    write_conf(conf, outputs=[file_output(out)], types="[pipe, signal]")
    conf.write_text(conf.read_text().replace("payload: 64", "payload: 128\n  buffer_size: 32M"))
    at = d.send(signal.SIGHUP)
    assert d.wait_for("configuration reloaded", after=at)
    lines = d.stop()[at:]
    assert "ipcdumpd: warning: trace.types changed: takes effect at restart" in lines
    assert "ipcdumpd: warning: trace.buffer_size changed: takes effect at restart" in lines
    assert ("ipcdumpd: warning: trace.payload 128 is above the 64 bytes the kernel captures: "
            "takes effect at restart") in lines
    # still only pipes
    assert "ipcdumpd: info: tracing pipe events" in d.lines[0]
