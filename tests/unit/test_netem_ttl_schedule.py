# -*- coding: utf-8 -*-
"""Schedules (flap, ramp, trace): compiled into steps the module validated, each one `tc qdisc change`."""
import struct

import pytest

from ansible_collections.aifabric.emulation.plugins.module_utils import errors
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model, schedule, units
from ansible_collections.aifabric.emulation.plugins.module_utils.netlink import nla, rtnl, tc

RELEASE = "6.12.0"
MS = 10**6
FULL = units.U32_MAX


def compile_(raw, rules=None, ttl=600.0, **kw):
    return schedule.normalize(raw, rules if rules is not None else [{"delay": {"time": "5ms"}}], RELEASE,
                              ttl=ttl, **kw)


def netems(sched):
    return [tc.decode_netem(s.options) for s in sched.steps]


def refused(raw, rules=None, ttl=600.0, **kw):
    with pytest.raises(errors.ValidationError) as err:
        compile_(raw, rules, ttl, **kw)
    return err.value


# ------------------------------------------------------------ durations --


@pytest.mark.parametrize("text, seconds", [
    (20, 20.0), (2.5, 2.5), ("20", 20.0), ("90s", 90.0), ("10m", 600.0), ("1h", 3600.0), ("1h30m", 5400.0),
    ("250ms", 0.25), ("1.5s", 1.5), ("2d", 172800.0), (" 10M ", 600.0), ("1m 30s", 90.0),
])
def test_durations(text, seconds):
    assert schedule.parse_duration(text, "x") == pytest.approx(seconds)


@pytest.mark.parametrize("text, words", [
    (-5, "negative"), ("-5", "negative"), ("-10m", "negative"), ("ten minutes", "cannot read"), (True, "boolean"),
    ("10 parsecs", "cannot read"), ([1], "cannot read"),
])
def test_bad_durations_name_the_field(text, words):
    with pytest.raises(errors.ValidationError) as err:
        schedule.parse_duration(text, "schedule.down")
    assert err.value.param == "schedule.down" and words in err.value.message


@pytest.mark.parametrize("seconds, text", [(20, "20s"), (90, "1m30s"), (3600, "1h"), (0.25, "250ms"),
                                           (1.5, "1.5s"), (0, "0s"), (86400 + 61, "1d1m1s")])
def test_format_duration(seconds, text):
    assert schedule.format_duration(seconds) == text
    assert schedule.parse_duration(text, "x") == pytest.approx(seconds)


# ------------------------------------------------------------------ flap --


def test_flap_loss_alternates_full_loss_and_the_rule():
    s = compile_({"type": "flap", "down": "1s", "every": "2s", "count": 3},
                 [{"delay": {"time": "5ms"}, "loss": {"percent": "1%"}}])
    assert [st.t for st in s.steps] == [0, 1, 2, 3, 4, 5]
    decoded = netems(s)
    assert [d["loss"] for d in decoded] == [FULL, units.parse_percent("1%")] * 3
    assert all(d["latency"] == 5 * MS for d in decoded)  # the rest of the rule holds while it is down
    assert s.duration == 5 and s.summary["steps"] == 6 and s.summary["mode"] == "loss" and not s.link


def test_flap_loss_drops_ecn_so_the_flap_drops_packets():
    s = compile_({"type": "flap", "down": "1s"}, [{"loss": {"percent": "1%"}, "ecn": True}])
    down, up = netems(s)
    assert down["loss"] == FULL and down["ecn"] is False and up["ecn"] is True


def test_flap_link_mode_is_link_down_then_up():
    s = compile_({"type": "flap", "mode": "link", "down": "300ms", "every": "1s", "count": 2})
    assert [(st.t, st.kind, st.up) for st in s.steps] == [(0, "link", False), (0.3, "link", True),
                                                          (1.0, "link", False), (1.3, "link", True)]
    assert s.link
    msg_type, flags, body = s.steps[0].request(7, None, None)
    assert msg_type == rtnl.RTM_NEWLINK and flags == 0
    _fam, _type, index, ifi_flags, change = rtnl.IFINFOMSG.unpack_from(body)
    assert (index, ifi_flags, change) == (7, 0, rtnl.IFF_UP)


@pytest.mark.parametrize("raw, field, words", [
    ({"type": "flap", "down": "2s", "every": "2s", "count": 2}, "schedule.every", "not longer than down"),
    ({"type": "flap", "down": "1s", "count": 3}, "schedule.every", "required with count above 1"),
    ({"type": "flap", "every": "2s"}, "schedule.down", "required"),
    ({"type": "flap", "down": "0s"}, "schedule.down", "above 0"),
    ({"type": "flap", "down": "-1s"}, "schedule.down", "negative"),
    ({"type": "flap", "down": "1s", "count": 0}, "schedule.count", "outside 1-1000"),
    ({"type": "flap", "down": "1s", "parameter": "delay"}, "schedule.parameter", "does not apply to a flap"),
    ({"type": "wobble"}, "schedule.type", "not one of"),
])
def test_bad_flaps(raw, field, words):
    err = refused(raw)
    assert err.param == field and words in err.message, err


# ------------------------------------------------------------------ ramp --


def test_ramp_delay_steps_and_auto_limit():
    s = compile_({"type": "ramp", "parameter": "delay", "start": "10ms", "end": "50ms", "duration": "4s", "steps": 8},
                 [{"delay": {"time": "10ms"}, "rate": {"rate": "1gbit"}}])
    assert [st.t for st in s.steps] == [0.5 * j for j in range(9)]
    decoded = netems(s)
    assert [d["latency"] for d in decoded] == [(10 + 5 * j) * MS for j in range(9)]
    # limit follows rate x delay, as the module sizes it for a rule without limit
    assert [d["limit"] for d in decoded] == [model.auto_limit(d) for d in decoded]
    assert decoded[-1]["limit"] > decoded[0]["limit"]


def test_ramp_loss_and_rate():
    loss = compile_({"type": "ramp", "parameter": "loss", "start": "0%", "end": "2%", "duration": "2s", "steps": 4})
    assert [round(d["loss"] * 100.0 / FULL, 6) for d in netems(loss)] == [0, 0.5, 1, 1.5, 2]
    rate = compile_({"type": "ramp", "parameter": "rate", "start": "100mbit", "end": "10gbit", "duration": "1m",
                     "steps": 2})
    assert [d["rate"] for d in netems(rate)] == [12500000, 631250000, 1250000000]


def test_ramp_jitter_keeps_the_delay_and_correlation():
    s = compile_({"type": "ramp", "parameter": "jitter", "start": "1ms", "end": "3ms", "duration": "1s", "steps": 2},
                 [{"delay": {"time": "10ms", "jitter": "1ms", "correlation": "25%", "distribution": "normal"}}])
    decoded = netems(s)
    assert [d["jitter"] for d in decoded] == [1 * MS, 2 * MS, 3 * MS]
    assert all(d["latency"] == 10 * MS and d["delay_corr"] == units.parse_percent("25%") for d in decoded)
    # a change keeps the qdisc's distribution table: steps do not send it again
    attrs = nla.attrs_dict(s.steps[0].options, tc.NETEM_QOPT.size)
    assert tc.TCA_NETEM_DELAY_DIST not in attrs


@pytest.mark.parametrize("raw, rules, field, words", [
    ({"type": "ramp", "parameter": "loss", "start": "0%", "end": "150%", "duration": "10s", "steps": 5}, None,
     "schedule.end", "above 100%"),
    ({"type": "ramp", "parameter": "delay", "start": "10ms", "end": "0ms", "duration": "10s", "steps": 5},
     [{"delay": {"time": "10ms", "jitter": "2ms"}}], "schedule.end", "jitter needs a delay time above 0"),
    ({"type": "ramp", "parameter": "jitter", "start": "0ms", "end": "5ms", "duration": "10s", "steps": 1},
     [{"loss": "1%"}], "schedule.end", "jitter needs a delay time above 0"),
    ({"type": "ramp", "parameter": "rate", "start": "1gbit", "end": "0bit", "duration": "10s", "steps": 5}, None,
     "schedule.end", "not allowed"),
    ({"type": "ramp", "parameter": "delay", "start": "ten", "end": "5ms", "duration": "10s", "steps": 5}, None,
     "schedule.start", "cannot read"),
    ({"type": "ramp", "parameter": "delay", "start": "1ms", "end": "5ms", "duration": "10s"}, None,
     "schedule.steps", "required"),
    ({"type": "ramp", "parameter": "delay", "start": "1ms", "end": "5ms", "duration": "10s", "steps": 1001}, None,
     "schedule.steps", "outside 1-1000"),
    ({"type": "ramp", "parameter": "speed", "start": "1", "end": "5", "duration": "10s", "steps": 5}, None,
     "schedule.parameter", "not one of"),
    ({"type": "ramp", "parameter": "delay", "end": "5ms", "duration": "10s", "steps": 5}, None,
     "schedule.start", "required"),
])
def test_ramp_to_a_value_validation_refuses(raw, rules, field, words):
    err = refused(raw, rules)
    assert err.param == field and words in err.message, err


# ----------------------------------------------------------------- trace --


def trace_text(rows):
    return "t,delay,jitter,loss,rate\n" + "".join("%s\n" % r for r in rows)


def test_trace_of_sixty_rows():
    rows = ["%.2f,%dms,%dms,%g%%,%dmbit" % (i * 0.05, 10 + i, i % 3, i / 100.0, 100 + i) for i in range(60)]
    s = compile_({"type": "trace", "content": trace_text(rows)})
    decoded = netems(s)
    assert len(s.steps) == 60 and s.summary["rows"] == 60 and s.duration == pytest.approx(2.95)
    assert [d["latency"] for d in decoded] == [(10 + i) * MS for i in range(60)]
    assert [d["jitter"] for d in decoded] == [(i % 3) * MS for i in range(60)]
    assert [d["rate"] for d in decoded] == [(100 + i) * 10**6 // 8 for i in range(60)]
    assert decoded[7]["loss"] == units.parse_percent("0.07%")


def test_trace_plain_numbers_header_order_and_empty_cells():
    text = "# exported from telemetry\nloss,t\n1,0\n,0.5\n2.5,1\n"
    s = compile_({"type": "trace", "content": text}, [{"delay": {"time": "5ms"}, "loss": {"percent": "0.1%"}}])
    decoded = netems(s)
    assert [st.t for st in s.steps] == [0, 0.5, 1]
    assert [d["loss"] for d in decoded] == [units.parse_percent(x) for x in ("1%", "0.1%", "2.5%")]
    positional = compile_({"type": "trace", "content": "0, 20, 2, 0.5, 400\n1.5s, 30ms\n"})
    first, second = netems(positional)
    assert (first["latency"], first["jitter"], first["rate"]) == (20 * MS, 2 * MS, 50 * 10**6)
    assert second["latency"] == 30 * MS and second["jitter"] == 0 and second["rate"] == 0


def test_trace_from_a_file_on_the_host(tmp_path):
    path = tmp_path / "incident.csv"
    path.write_text("t,delay\n0,1ms\n1,2ms\n")
    s = compile_({"type": "trace", "file": str(path)})
    assert [d["latency"] for d in netems(s)] == [1 * MS, 2 * MS]
    err = refused({"type": "trace", "file": str(tmp_path / "missing.csv")})
    assert err.param == "schedule.file" and "cannot read" in err.message


@pytest.mark.parametrize("text, row, words", [
    ("t,delay\n0,1ms\n1,2ms\n2,1x0ms\n", 4, "delay"),
    ("t,delay\n0,1ms\n\n# note\n0.5,2ms\n0.5,3ms\n", 6, "times must increase"),
    ("t,loss\n0,1%\n1,101%\n", 3, "above 100%"),
    ("0,1ms,1ms,1%,1gbit,extra\n", 1, "6 cells"),
    ("t,delay,speed\n0,1ms,2\n", 1, "header"),
    ("t,delay\n-1,1ms\n", 2, "negative"),
    ("t,delay\n,1ms\n", 2, "t is empty"),
    ("t,jitter\n0,1ms\n", 2, "the module would refuse it"),  # the rule has no delay: jitter needs one
])
def test_trace_bad_row_names_the_row(text, row, words):
    err = refused({"type": "trace", "content": text}, [{"loss": "1%"}])
    assert err.param == "schedule.content" and ("row %d:" % row) in err.message and words in err.message, err


def test_trace_needs_exactly_one_source():
    assert refused({"type": "trace"}).param == "schedule.file"
    assert refused({"type": "trace", "file": "/x", "content": "0,1ms"}).param == "schedule.file"
    assert "no rows" in refused({"type": "trace", "content": "t,delay\n"}).message


# --------------------------------------------------------- with the TTL --


def test_a_schedule_needs_a_ttl_that_covers_it():
    raw = {"type": "flap", "down": "1s", "every": "5s", "count": 3}
    err = refused(raw, ttl=None)
    assert err.param == "ttl" and "11s" in err.message
    err = refused(raw, ttl=10.0, ttl_path="config[2].ttl")
    assert err.param == "config[2].ttl" and "shorter than the schedule" in err.message and "11s" in err.message
    assert compile_(raw, ttl=11.0).duration == 11


def test_the_driven_rule_is_named_when_there_are_several():
    rules = [{"name": "a", "delay": "1ms"}, {"name": "roce", "match": {"dscp": [26]}, "delay": "2ms"}]
    raw = {"type": "ramp", "parameter": "delay", "start": "2ms", "end": "4ms", "duration": "2s", "steps": 2}
    assert refused(raw, rules).param == "schedule.rule"
    assert "'x' is not one of" in refused(dict(raw, rule="x"), rules).message
    s = compile_(dict(raw, rule="roce"), rules)
    assert s.rule == "roce" and [d["latency"] for d in netems(s)] == [2 * MS, 3 * MS, 4 * MS]


def test_refusals_in_a_step_name_the_rule_field_too():
    err = refused({"type": "ramp", "parameter": "delay", "start": "1ms", "end": "0ms", "duration": "1s",
                   "steps": 1}, [{"delay": {"time": "1ms"}, "reorder": {"percent": "5%"}}])
    assert err.param == "schedule.end" and "rules[0].reorder.percent" in err.message


# ------------------------------------------------------------- requests --


def test_a_netem_step_is_tc_qdisc_change():
    """iproute2's `tc qdisc change` is RTM_NEWQDISC with no CREATE, REPLACE or EXCL (tc/tc_qdisc.c)."""
    s = compile_({"type": "flap", "down": "1s"})
    msg_type, flags, body = s.steps[0].request(5, 0xFAB00001, 0xFAB10000)
    assert msg_type == tc.RTM_NEWQDISC
    assert flags & (nla.NLM_F_CREATE | nla.NLM_F_REPLACE | nla.NLM_F_EXCL) == 0 and flags == 0
    parsed = tc.parse_tcmsg(body)
    got = (parsed["ifindex"], parsed["parent"], parsed["handle"], parsed["kind"])
    assert got == (5, 0xFAB00001, 0xFAB10000, "netem")
    assert tc.decode_netem(parsed["options"])["loss"] == FULL


def test_the_id_changes_with_the_steps_only():
    raw = {"type": "flap", "down": "1s", "every": "3s", "count": 2}
    a, b = compile_(raw), compile_(dict(raw))
    assert a.id == b.id
    assert compile_(dict(raw, count=3)).id != a.id
    assert compile_(raw, [{"delay": "6ms"}]).id != a.id


class FakeSession:
    def __init__(self, fail_at=None):
        self.sent, self.fail_at = [], fail_at

    def request(self, msg_type, flags, payload):
        if len(self.sent) == self.fail_at:
            from ansible_collections.aifabric.emulation.plugins.module_utils.netlink.session import NetlinkError
            raise NetlinkError(2, "no such qdisc")
        self.sent.append((msg_type, flags, payload))


def test_runner_sends_each_step_once_in_order_and_records_lateness():
    s = compile_({"type": "flap", "mode": "link", "down": "1s", "every": "2s", "count": 2})
    session = FakeSession()
    runner = schedule.Runner(session, s.steps, 100.0, 3)
    clock = iter([100.0, 101.002, 102.0, 103.5])
    while not runner.done:
        assert runner.next_due() == 100.0 + s.steps[runner.index].t
        runner.step(lambda: next(clock))
    assert runner.next_due() is None and runner.link_down is False
    assert [struct.unpack_from("=BxHiII", p)[3] for _t, _f, p in session.sent] == [0, rtnl.IFF_UP, 0, rtnl.IFF_UP]
    assert runner.lateness == pytest.approx([0.0, 0.002, 0.0, 0.5])


def test_runner_stops_at_a_refused_step():
    s = compile_({"type": "flap", "mode": "link", "down": "1s", "every": "2s", "count": 2})
    runner = schedule.Runner(FakeSession(fail_at=1), s.steps, 0.0, 3)
    runner.step(lambda: 0.0)
    assert runner.link_down
    runner.step(lambda: 1.0)
    assert runner.done and "step 1 (flap 1 up)" in runner.error and "no such qdisc" in runner.error
    assert runner.link_down  # the caller brings the link up again
