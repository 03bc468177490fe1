"""Real iproute2 JSON for the `parsed` state, with the cores' own gathered views of the same kernel state.

    tools/labvm --kernel bookworm run -- .venv/bin/python tests/lab/capture_parsed.py [--iproute2 DIR ...]

In two throwaway namespaces it builds VLANs (802.1Q with QoS maps and IPv4/IPv6
addresses, 802.1ad with an inner 802.1Q, flags, one VLAN moved away from its
parent's namespace) and netem trees (a root netem with every option, a prio
tree of five rules, a foreign root qdisc, ingress through IFBs) with the
collection's cores, then writes, for each iproute2 (the one on PATH, and
every --iproute2 DIR holding a built tree: DIR/ip/ip, DIR/tc/tc):

    tests/unit/parsed/input/<case>.json   `ip -j -d addr show`, `ip -j -d link show`, `tc -j qdisc show`
    tests/unit/parsed/input/<case>.txt    `tc -j qdisc show; ip -j -d link show` (two JSON documents)
    tests/unit/parsed/expected/<case>.yml what the cores gather, less what the text cannot carry

A built tree of another iproute2 is what iproute2's own `./configure && make
SUBDIRS="lib tc ip"` leaves (from a checkout of its release tag; the build needs
bison and flex); the files of this collection were captured with the host's
6.1 and with 6.12, on both lab kernels.

The expected side is never the parser's output: it is vlan core.gather() and
netem core.gather_all() read over netlink, the netem one without the state
record (so rules are named as the kernel alone allows), minus match, the
distribution names, and seed where that iproute2 prints none. The lab test
tests/lab/test_parsed_lab.py uses the same Lab and compare functions live.
"""
import argparse
import copy
import json
import os
import subprocess
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import netlab  # noqa: E402  (puts the collection on sys.path)
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import core as netem_core  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.netem import model as netem_model  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import core as vlan_core  # noqa: E402
from ansible_collections.aifabric.emulation.plugins.module_utils.vlan import model as vlan_model  # noqa: E402

OUT = os.path.join(os.path.dirname(HERE), "unit", "parsed")
RELEASE = os.uname()[2]
HAS_SEED = netem_model.kernel_version(RELEASE) >= netem_model.SEED_MIN_KERNEL

VLANS_A = [
    {"parent": "va", "id": 100, "addresses": ["10.100.0.1/24", "fd10::1/64", "10.100.1.1/16"], "mtu": 1400,
     "egress_qos_map": {3: 5, 0: 0, 7: 7}, "ingress_qos_map": {5: 3, 1: 2}, "gvrp": True},
    {"name": "s200", "parent": "va", "id": 200, "protocol": "802.1ad", "reorder_hdr": False, "mvrp": True},
    {"name": "s200.10", "parent": "s200", "id": 10, "addresses": ["192.168.10.1/24"], "loose_binding": True,
     "admin_state": "down"},
    {"name": "d0.4094", "parent": "d0", "id": 4094, "mtu": 1500},
]

DEFAULT_RULE = {
    "delay": {"time": "250us", "jitter": "100us", "correlation": "25%", "distribution": "normal"},
    "loss": {"percent": "1.5%", "correlation": "10%"}, "ecn": True,
    "duplicate": {"percent": "3%", "correlation": "5%"}, "corrupt": {"percent": "0.5%", "correlation": "1%"},
    "reorder": {"percent": "25%", "correlation": "50%", "gap": 5},
    "rate": {"rate": "400mbit", "packet_overhead": -4, "cell_size": 53, "cell_overhead": 5},
    "limit": 12345,
}
PRIO_RULES = [
    {"name": "base", "delay": {"time": "10ms"}},
    {"name": "voice", "match": {"dscp": [46]}, "ecn": True,
     "loss": {"model": "gemodel", "p": "1%", "r": "30%", "one_minus_h": "70%", "one_minus_k": "0.1%"}},
    {"name": "bulk", "match": {"dst": ["10.0.0.0/8"]}, "rate": {"rate": "100gbit"},
     "slot": {"min_delay": "1ms", "max_delay": "3ms", "packets": 32, "bytes": "64kb"}},
    {"name": "lossy", "match": {"src": ["192.0.2.0/24", "2001:db8::/32"]},
     "loss": {"model": "state", "p13": "2%", "p31": "90%", "p32": "5%", "p23": "80%", "p14": "1%"}},
    {"name": "slotted", "match": {"dscp": [10, 12]},
     "delay": {"time": "1.5ms", "jitter": "1010us", "distribution": "paretonormal"},
     "slot": {"distribution": "pareto", "delay": "2ms", "jitter": "500us", "packets": 8}},
]
INGRESS_B = {"vb": [{"delay": {"time": "60ms"}}],
             "dummylongname1": [{"loss": {"percent": "1%"}, "delay": {"time": "100us", "jitter": "10us"}}]}


class Lab:
    """Two namespaces, a (va, d0, d1) and b (vb, dummylongname1), joined by the veth pair va-vb."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.a, self.b = "apa" + tag, "apb" + tag

    def create(self):
        """Namespaces and links: three ip processes. va.300 is made in b on its parent va in a."""
        batch("netns add %s\nnetns add %s\nlink add va netns %s type veth peer vb netns %s\n"
              % (self.a, self.b, self.a, self.b))
        batch("link add d0 type dummy\nlink add d1 type dummy\nlink set lo up\nlink set va up\nlink set d0 up\n"
              "link set d1 up\naddr add 10.77.0.1/24 dev va\nlink add link va name va.300 netns %s type vlan id 300\n"
              % self.b, self.a)
        batch("link add dummylongname1 type dummy\nlink set lo up\nlink set vb up\nlink set dummylongname1 up\n"
              "link set va.300 up\naddr add 10.30.0.2/24 dev va.300\naddr add fd30::2/64 dev va.300 nodad\n", self.b)

    def build(self):
        """The VLANs and netem trees, through the cores."""
        vlan_core.converge(vlan_model.normalize_config(VLANS_A), "merged", self.a)
        default = dict(DEFAULT_RULE, seed=987654321) if HAS_SEED else DEFAULT_RULE
        jobs = [netem_core.Job("va", netem_model.normalize_rules([default], RELEASE), netns=self.a),
                netem_core.Job("d0", netem_model.normalize_rules(PRIO_RULES, RELEASE), netns=self.a)]
        jobs += [netem_core.Job(dev, netem_model.normalize_rules(rules, RELEASE), netns=self.b, direction="ingress")
                 for dev, rules in sorted(INGRESS_B.items())]
        netem_core.converge(jobs)
        for job in jobs:
            assert job.result["changed"], job.result
        # a root qdisc the collection did not create: the cores and parse must leave it out
        netlab.sh("tc -n %s qdisc add dev d1 root handle 1: netem delay 1ms" % self.a)

    @property
    def namespaces(self):
        return (("a", self.a), ("b", self.b))

    def dump(self, iproute2=None):
        """{ns label: {"addr", "link", "qdisc"}} as iproute2 prints them: one ip and one tc run per namespace."""
        ip = os.path.join(iproute2, "ip", "ip") if iproute2 else "ip"
        tc = os.path.join(iproute2, "tc", "tc") if iproute2 else "tc"
        out = {}
        for label, ns in self.namespaces:
            addr, link = split_documents(run([ip, "-n", ns, "-j", "-d", "-b", "-"], "addr show\nlink show\n"))
            out[label] = {"addr": addr, "link": link, "qdisc": run([tc, "-n", ns, "-j", "qdisc", "show"])}
        return out

    def gathered(self):
        """{ns label: {"vlan", "netem", "netem_recorded"}} read by the cores over netlink."""
        out = {}
        for label, ns in self.namespaces:
            recorded = netem_core.gather_all(ns)
            path = netem_core.StateStore(ns).path
            hidden = path + ".hidden"
            if os.path.exists(path):
                os.rename(path, hidden)
            try:
                bare = netem_core.gather_all(ns)
            finally:
                if os.path.exists(hidden):
                    os.rename(hidden, path)
            out[label] = {"vlan": vlan_core.gather(ns), "netem": bare, "netem_recorded": recorded}
        return out

    def destroy(self):
        batch("netns del %s\nnetns del %s\n" % (self.a, self.b), check=False)
        for ns in (self.a, self.b):
            for path in (netem_core.StateStore(ns).path, netem_core.StateStore(ns).path + ".lock"):
                if os.path.exists(path):
                    os.unlink(path)


def run(cmd, stdin=None, check=True):
    res = subprocess.run(cmd, input=stdin, capture_output=True, text=True, check=False)
    if check and res.returncode:
        raise AssertionError("%s failed (%d): %s" % (" ".join(cmd), res.returncode, res.stderr.strip()))
    return res.stdout


def batch(commands, netns=None, check=True):
    """Many ip commands in one process (every process start costs up to 2 s in the lab VM)."""
    run(["ip"] + (["-n", netns] if netns else []) + ["-b", "-"], commands, check)


def split_documents(text):
    """The JSON documents of one `ip -j -b` run, each as its own text."""
    decoder, docs, pos = json.JSONDecoder(), [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return docs
        _value, end = decoder.raw_decode(text, pos)
        docs.append(text[pos:end] + "\n")
        pos = end


# ------------------------------------------------ what parse can know --


def comparable_rules(rules, qdisc_text, recorded=False):
    """Gathered rules less what `tc -j qdisc show` cannot carry (see netem/parse.py).

    recorded: gathered with the state record, whose rule names and "was the
    seed the user's" parse cannot know: name and seed are left out.
    """
    out = []
    seed_printed = '"seed"' in qdisc_text
    for r in rules:
        r = copy.deepcopy(r)
        r.pop("match", None)
        for key in ("delay", "slot"):
            if key in r:
                r[key].pop("distribution", None)
        if recorded or not seed_printed:
            r.pop("seed", None)
        if recorded:
            r.pop("name")
        out.append(r)
    return out


def expected_netem(gathered, qdisc_text, recorded=False, tc_only_links=None):
    """The gathered trees as parse sees them: given the link list, as they are; from `tc -j qdisc show`
    alone (tc_only_links: the link list parse is not given), ingress trees under their IFB's name as
    egress, in the order tc lists the devices."""
    out = [dict(t, netns=None, rules=comparable_rules(t["rules"], qdisc_text, recorded)) for t in gathered]
    if tc_only_links is None:
        return out
    prefix, ifbs = "aifabric.emulation netem ingress of ", {}
    for link in json.loads(tc_only_links):
        if link.get("ifalias", "").startswith(prefix):
            ifbs.setdefault(link["ifalias"][len(prefix):].split(";")[0], link["ifname"])
    order = []
    for q in json.loads(qdisc_text):
        if q["dev"] not in order:
            order.append(q["dev"])
    for t in out:
        if t["direction"] == "ingress":
            t.update(interface=ifbs[t["interface"]], direction="egress")
    return sorted(out, key=lambda t: order.index(t["interface"]))


def without_record(trees):
    """parse's trees less rule names and seeds, to compare with expected_netem(..., recorded=True)."""
    return [dict(t, rules=[dict((k, v) for k, v in r.items() if k not in ("name", "seed")) for r in t["rules"]])
            for t in trees]


def expected_vlans(gathered, from_link_show=False):
    """`ip -j -d link show` has no addresses: parse then reports none."""
    return [dict(v, addresses=[]) for v in gathered] if from_link_show else gathered


# --------------------------------------------------------------- main --


def version(iproute2):
    tc = os.path.join(iproute2, "tc", "tc") if iproute2 else "tc"
    text = run([tc, "-V"])
    return text.split("iproute2-", 1)[1].split()[0].rstrip(",").rsplit(".0", 1)[0]


def dump_yaml(case, expected, f):
    """The expected view as YAML that yamllint (ansible-lint's yaml rule) accepts: lists indented."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def increase_indent(self, flow=False, indentless=False):
            return yaml.SafeDumper.increase_indent(self, flow, False)

    f.write("# %s: gathered by the cores over netlink (tests/lab/capture_parsed.py)\n" % case)
    yaml.dump(expected, f, Dumper=Dumper, default_flow_style=False, sort_keys=True, explicit_start=True)


def write_cases(prefix, dumps, views):
    def save(case, text, expected, ext=".json"):
        with open(os.path.join(OUT, "input", case + ext), "w") as f:
            f.write(text)
        with open(os.path.join(OUT, "expected", case + ".yml"), "w") as f:
            dump_yaml(case, expected, f)

    for label, _ns in (("a", None), ("b", None)):
        d, g = dumps[label], views[label]
        save("vlan-%s-%s-addr" % (prefix, label), d["addr"], expected_vlans(g["vlan"]))
        save("vlan-%s-%s-link" % (prefix, label), d["link"], expected_vlans(g["vlan"], True))
        tc_only = expected_netem(g["netem"], d["qdisc"], tc_only_links=d["link"])
        save("netem-%s-%s" % (prefix, label), d["qdisc"], tc_only)
        save("netem-%s-%s-links" % (prefix, label), d["qdisc"] + d["link"], expected_netem(g["netem"], d["qdisc"]),
             ext=".txt")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--iproute2", action="append", default=[],
                        help="a built iproute2 tree (DIR/ip/ip, DIR/tc/tc) to capture with as well")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root, in the lab VM: tools/labvm --kernel bookworm run -- %s" % " ".join(sys.argv))
    for sub in ("input", "expected"):
        os.makedirs(os.path.join(OUT, sub), exist_ok=True)
    kernel = "linux%d.%d" % netem_model.kernel_version(RELEASE)
    lab = Lab()
    try:
        lab.create()
        lab.build()
        views = lab.gathered()
        for iproute2 in [None] + args.iproute2:
            prefix = "%s-iproute2-%s" % (kernel, version(iproute2))
            write_cases(prefix, lab.dump(iproute2), views)
            print("captured %s" % prefix)
    finally:
        lab.destroy()


if __name__ == "__main__":
    main()
