"""Helpers shared by the benchmark scripts (tools/bench_*.py); run inside the lab VM."""
import os
import platform
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(REPO, ".cache", "collections")


def log(msg):
    print("bench: %s" % msg, file=sys.stderr, flush=True)


def run(argv, **kw):
    """Run argv; raise with its output on failure."""
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    proc = subprocess.run(argv, text=True, check=False, **kw)
    if proc.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv[:8]), proc.returncode,
                                                 ((proc.stderr or "") + (proc.stdout or "")).strip()[-2000:]))
    return proc


def write_batch(lines, prefix="bench-"):
    """A temporary file for `tc -batch` / `ip -batch`; the caller removes it."""
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=".batch")
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def timed(fn, *args):
    t0 = time.perf_counter()
    fn(*args)
    return time.perf_counter() - t0


def environment(**extra):
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    env = {"kernel": platform.release(), "labvm_kernel": os.environ.get("LABVM_KERNEL"),
           "in_labvm": os.environ.get("LABVM") == "1", "cpus": os.cpu_count(), "cpu_model": cpu,
           "accel_hint": "TCG (QEMU Virtual CPU)" if "QEMU" in cpu else "KVM or bare metal",
           "python": platform.python_version()}
    env.update(extra)
    return env
