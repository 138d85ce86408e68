#!/usr/bin/env python3
"""trapgate throughput against QEMU TCG on the shared reference images.

Builds the multiboot images of ../shared/bench (build-images.sh, needs nasm)
for each workload at N=1 and N=N_big, runs each image with
`trapgate run --stats` and with QEMU TCG, several times, and computes

    MIPS = (I(N_big) - I(1)) / (T(N_big) - T(1))

with I from shared/bench/count.py and T the median wall time of the
process, so start-up, boot and the mode-switch prologue cancel out. The
same images and the same timing method serve both engines.

For trapgate the retired-instruction counts of --stats are checked against
count.py: I_retired(N_big) - I_retired(1) must equal I(N_big) - I(1).
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Iterations per workload for the big image: about 3 s of trapgate at the
# target speed (W1 ~400 MIPS, W2/W3 ~300 MIPS, W4 a few million exits/s).
N_BIG = {1: 150_000_000, 2: 120_000, 3: 40, 4: 30_000_000}
NAMES = {1: "W1 ALU loop", 2: "W2 memory loop", 3: "W3 call/ret fib",
         4: "W4 OUT exits"}
QEMU_ARGS = ["-accel", "tcg", "-nographic", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
             "-display", "none", "-m", "128"]
# Every image ends by writing 0 to port 0xf4: status (0 << 1) | 1.
EXIT_OK = 1


def die(msg):
    print("bench: " + msg, file=sys.stderr)
    sys.exit(1)


def shared_dir(arg):
    d = os.path.abspath(arg or os.path.join(REPO, "..", "shared", "bench"))
    for f in ("build-images.sh", "count.py", "mb.asm", "wl.inc", "link.ld"):
        if not os.path.isfile(os.path.join(d, f)):
            die("the shared bench directory is missing or incomplete: %s "
                "(no %s). It must sit beside the repository as "
                "../shared/bench, or be given with --shared." % (d, f))
    return d


def count(shared, wl, n):
    out = subprocess.run([sys.executable, os.path.join(shared, "count.py"),
                          str(wl), str(n)], check=True, capture_output=True,
                         text=True).stdout
    return int(out.strip())


def build_images(shared, outdir, plan):
    if not shutil.which("nasm"):
        die("nasm is needed to build the images (make deps / apt-get install nasm)")
    args = []
    for wl, ns in plan.items():
        for n in ns:
            args += [str(wl), str(n)]
    r = subprocess.run(["bash", os.path.join(shared, "build-images.sh"), outdir]
                       + args, capture_output=True, text=True)
    if r.returncode:
        die("build-images.sh failed:\n" + r.stdout + r.stderr)
    return {(wl, n): os.path.join(outdir, "w%d_n%d.elf" % (wl, n))
            for wl, ns in plan.items() for n in ns}


def run_once(cmd, timeout):
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % timeout, b""
    t = time.perf_counter() - t0
    if r.returncode != EXIT_OK:
        tail = r.stderr.decode(errors="replace").strip().splitlines()[-3:]
        return None, "exit status %d: %s" % (r.returncode, " | ".join(tail)), r.stderr
    return t, None, r.stderr


def retired(stderr):
    for line in stderr.decode(errors="replace").splitlines():
        if "stats:" in line:
            for f in line.split():
                if f.startswith("insns_retired="):
                    return int(f.split("=", 1)[1])
    return None


def measure(engine, cmd_for, images, wl, ns, runs, timeout, log):
    """Median wall time per N, or an error string."""
    times, insns = {}, {}
    for n in ns:
        ts = []
        for _ in range(runs):
            t, err, stderr = run_once(cmd_for(images[(wl, n)]), timeout)
            if err:
                return None, None, "%s W%d N=%d: %s" % (engine, wl, n, err)
            ts.append(t)
            insns[n] = retired(stderr)
        times[n] = statistics.median(ts)
        log("  %-8s W%d N=%-10d median %.3f s  (runs: %s)" % (
            engine, wl, n, times[n], " ".join("%.3f" % x for x in ts)))
    return times, insns, None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trapgate", default=os.path.join(REPO, "build", "trapgate"))
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--shared", help="shared bench dir (default ../shared/bench)")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "bench"),
                    help="where the images go")
    ap.add_argument("--workloads", default="1,2,3,4", help="e.g. 1,3")
    ap.add_argument("--n", action="append", default=[], metavar="WL=N",
                    help="N_big for a workload, e.g. --n 1=50000000")
    ap.add_argument("--scale", type=float, default=1.0,
                    help="multiply every default N_big (e.g. 0.1 for a quick run)")
    ap.add_argument("--runs", type=int, default=5, help="runs per image (median)")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per run")
    ap.add_argument("--no-qemu", action="store_true")
    ap.add_argument("--no-trapgate", action="store_true")
    a = ap.parse_args()

    shared = shared_dir(a.shared)
    wls = [int(x) for x in a.workloads.split(",") if x]
    for w in wls:
        if w not in N_BIG:
            die("unknown workload %d (1..4)" % w)
    nbig = {w: max(2, int(N_BIG[w] * a.scale)) for w in wls}
    for spec in a.n:
        w, _, n = spec.partition("=")
        if not (w.isdigit() and n.isdigit() and int(w) in nbig and int(n) > 1):
            die("--n wants WL=N (N > 1) for a selected workload, got '%s'" % spec)
        nbig[int(w)] = int(n)

    engines = []
    if not a.no_trapgate:
        if not os.access(a.trapgate, os.X_OK):
            die("%s not found: build it first (make cli)" % a.trapgate)
        engines.append(("trapgate", lambda img: [a.trapgate, "run", "--stats", img]))
    if not a.no_qemu:
        if not shutil.which(a.qemu):
            die("%s not found (make deps installs qemu-system-x86)" % a.qemu)
        engines.append(("qemu-tcg", lambda img: [a.qemu] + QEMU_ARGS + ["-kernel", img]))
    if not engines:
        die("nothing to run")

    os.makedirs(a.out, exist_ok=True)
    images = build_images(shared, a.out, {w: [1, nbig[w]] for w in wls})
    log = lambda s: print(s, file=sys.stderr, flush=True)

    results = {}
    for w in wls:
        di = count(shared, w, nbig[w]) - count(shared, w, 1)
        for name, cmd_for in engines:
            times, insns, err = measure(name, cmd_for, images, w, [1, nbig[w]],
                                        a.runs, a.timeout, log)
            if err:
                log("  " + err)
                results[(w, name)] = None
                continue
            dt = times[nbig[w]] - times[1]
            results[(w, name)] = di / dt / 1e6 if dt > 0 else None
            if name == "trapgate" and None not in (insns[1], insns[nbig[w]]):
                got = insns[nbig[w]] - insns[1]
                if got != di:
                    log("  warning: trapgate retired %d more instructions for N=%d "
                        "than for N=1; count.py says %d" % (got, nbig[w], di))

    def fmt(v):
        return "%10.1f" % v if v else "%10s" % "n/a"

    print("%-18s %12s %14s %14s %8s" % ("workload", "N_big", "trapgate MIPS",
                                        "QEMU TCG MIPS", "ratio"))
    failed = False
    for w in wls:
        t = results.get((w, "trapgate"))
        q = results.get((w, "qemu-tcg"))
        failed |= any((w, e) in results and results[(w, e)] is None for e, _ in engines)
        ratio = "%8.3f" % (t / q) if t and q else "%8s" % "n/a"
        print("%-18s %12d %14s %14s %s" % (NAMES[w], nbig[w], fmt(t), fmt(q), ratio))
    print("(MIPS = (I(N_big) - I(1)) / (T(N_big) - T(1)), T the median of %d "
          "process wall times; ratio = trapgate / QEMU TCG)" % a.runs)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
