"""The sweep role end to end on the running kernel: a rate axis (htb on the rail leaf's ports) with the real
Open MPI all-reduce, through ansible-playbook.

The running kernel has no netem, so the axis is the one a kernel without it can sweep: the rate of rail 0.
What is checked: the progress lines, records.jsonl (one line per point, every repeat), summary.json (the slow
point is clearly slower than the fast one), junit.xml (only the slow point fails max_jct_ratio), report.html,
and /run/netns afterwards (nothing of the fabric is left). The rate change itself is read back with tc by
tests/kernel/test_fabric_impair_kernel.py.
"""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest

from netlab import REPO, assert_no_deprecation, sh

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="kernel tests need root")
FABRIC = "ksw"


def spec(out):
    return {"name": "ksw", "output": out,
            "fabric": {"name": FABRIC, "kind": "rail_optimized", "mode": "l3", "servers": 2, "rails": 2, "spines": 1,
                       "links": {"server_leaf": {"rate": "1gbit", "mtu": 9000}, "leaf_spine": {"rate": "1gbit"}}},
            "workload": {"type": "allreduce", "steps": 5, "bytes": "2MiB", "timeout": "60s"},
            "axes": [{"param": "rate", "values": ["1gbit", "40mbit"], "links": "rail:0"}],
            "repeats": 2, "baseline_repeats": 2, "ttl": "5m", "thresholds": {"max_jct_ratio": 1.3}}


def ours():
    return [n for n in os.listdir("/run/netns") if n.startswith(FABRIC + "-")] if os.path.isdir("/run/netns") else []


@pytest.fixture
def clean():
    def cleanup():
        for name in ours():
            sh("ip netns del %s" % name, check=False)
    cleanup()
    try:
        yield
    finally:
        cleanup()


def test_a_rate_sweep_with_the_collective_job(tmp_path, clean):
    out = str(tmp_path / "run")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(REPO, "ansible.cfg"), ANSIBLE_DEPRECATION_WARNINGS="true")
    res = subprocess.run([os.path.join(REPO, ".venv", "bin", "ansible-playbook"),
                          os.path.join(REPO, "tests", "kernel", "playbooks", "sweep_rate.yml"),
                          "-e", json.dumps({"spec": spec(out)})],
                         cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout[-5000:] + res.stderr[-2000:]
    assert_no_deprecation(res.stdout, res.stderr, "sweep_rate.yml")
    assert "[1/2] rate=1gbit" in res.stdout and "[2/2] rate=40mbit" in res.stdout

    records = [json.loads(line) for line in open(os.path.join(out, "records.jsonl"))]
    assert [r["kind"] for r in records] == ["baseline", "point", "point"]
    assert all(r["status"] == "ok" and len(r["repeats"]) == 2 for r in records[1:])
    assert all(r["host_facts"]["localhost"]["kernel"] == os.uname().release for r in records)
    with open(os.path.join(out, "summary.json")) as f:
        summary = json.load(f)
    fast, slow = [p["jct_ratio"]["ratio"] for p in summary["points"]]
    # 1 MiB per ring and step over rail 0 at 40 Mbit/s is 0.2 s a step: the slow point must be clearly slower
    assert slow > 1.3 and slow > fast, (fast, slow)
    cases = ET.parse(os.path.join(out, "junit.xml")).getroot().iter("testcase")
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["point 1: rate=40mbit"], failed
    assert os.path.getsize(os.path.join(out, "report.html")) > 10000
    assert ours() == []  # the fabric is gone, impairments with it
