#!/usr/bin/env python3
"""Rewrites README.md's Findings section from a conformance matrix.

    python3 scripts/findings.py MATRIX.json README.md

MATRIX.json is the output of
    trapgate conform --backend model,kvm,qemu-tcg,qemu-kvm --json MATRIX.json
(`make findings` does both). Only the text between the markers
    <!-- findings:begin -->  and  <!-- findings:end -->
is replaced; the markers are appended at the end of the file when absent.

Each departure (a DIFF, TIMEOUT or ERROR of a hypervisor) is put under the
first cause whose rule matches it; the rules look at the scenario name and
the first difference the runner reported. A departure no rule explains is
listed under "Other departures" with its first difference.
"""
import datetime
import json
import re
import sys

BEGIN = "<!-- findings:begin -->"
END = "<!-- findings:end -->"
HYPERVISORS = ["kvm", "qemu-tcg", "qemu-kvm"]
DEPARTS = ("DIFF", "TIMEOUT", "ERROR")


def variant(r):
    return r["scenario"] + ("@cpl3" if r["cpl"] == 3 else "")


def soft_int_bytes(d):
    # KVM_EXIT_INTERNAL_ERROR on INT3 (cc), INT n (cd) or ICEBP (f1),
    # possibly behind prefixes (2e): trapgate's and QEMU's wording
    return bool(re.search(r"bytes \[(2e )*(cc|cd|f1)\b", d) or
                re.search(r"code <(2e|cc|cd|f1)>", d))


def name_has(r, *words):
    return any(w in r["scenario"] for w in words)


def h(x):
    return int(x, 16) if isinstance(x, str) else x


def fields(r):
    """The fields of the first differing event: {"vector", "rip", "dr6",
    "error code", "rflags", "aux"}; {"missing"} / {"extra"} when the counts
    differ there; empty when the difference is not an event's."""
    i = r.get("first_difference", -1)
    exp, obs = r.get("expected", []), r.get("observed", [])
    if i is None or i < 0:
        return set()
    if i >= len(obs):
        return {"missing"}
    if i >= len(exp):
        return {"extra"}
    x, o = exp[i], obs[i]
    if x["vector"] != o["vector"]:
        return {"vector"}
    f = set()
    if "rip" in x and h(x["rip"]) != h(o["rip"]):
        f.add("rip")
    if "dr6" in x and h(x["dr6"]) != h(o["dr6"]):
        f.add("dr6")
    if "error_code" in x and h(x["error_code"]) != h(o["error_code"]):
        f.add("error code")
    if "rflags_mask" in x and h(o["rflags"]) & h(x["rflags_mask"]) != h(x["rflags_value"]):
        f.add("rflags")
    for k in ("dr7", "cr2"):
        if k + "_mask" in x and h(o["aux"]) & h(x[k + "_mask"]) != h(x[k + "_value"]):
            f.add("aux")
    return f


def observed_vector(r):
    i = r.get("first_difference", -1)
    obs = r.get("observed", [])
    return obs[i]["vector"] if i is not None and 0 <= i < len(obs) else None


# (key, title, seed or None, explanation, predicate(result) -> bool), in
# order: the first that matches names the cause.
RULES = [
    ("softint", "INT3, INT n and ICEBP (F1)", None,
     "The instruction itself fails: KVM_EXIT_INTERNAL_ERROR (instruction not "
     "emulated) at CPL0; at CPL3, #UD for INT n, or for ICEBP #UD or a #DB that "
     "repeats forever (runaway). Bare metal delivers #BP, the INT n gate, or "
     "ICEBP's #DB with no DR6 cause bits [spec 2.1, 3.5-3.6].",
     lambda r: soft_int_bytes(r["detail"])
     or (name_has(r, "icebp", "int1", "int3", "soft_int", "tf_int_n", "wp_int")
         and ("runaway" in r["detail"] or observed_vector(r) == 6))),
    ("ebusy", "KVM_SET_GUEST_DEBUG INJECT_DB/INJECT_BP accepted with an exception in flight",
     "002",
     "With an exception already injected, INJECT_DB/INJECT_BP return 0 instead of "
     "-EBUSY, and the new #DB/#BP combines with it (an injected #DF becomes a triple "
     "fault): the fix, kvm-x86 e907b4e72488 (stable 6.1-7.0), is missing [spec 6.5, 8.3].",
     lambda r: r["scenario"].startswith("host_ebusy_")),
    ("hlt", "HLT with a pending single-step #DB", None,
     "The single-step trap after HLT is the wake event and the CPU must not halt "
     "again [spec 3.7; KUT 302fbd56]: here the vCPU stays halted, halts again later, "
     "or a host step over HLT ends in KVM_EXIT_HLT.",
     lambda r: name_has(r, "hlt")),
    ("movss", "MOV SS / POP SS blocking not honoured", "000",
     "The single-step or data-breakpoint #DB of MOV SS / POP SS is held until the "
     "instruction after it completes and merges with its causes [SDM 6.8.3; spec "
     "4.1-4.2]; here it comes right after MOV SS, or the held cause is lost.",
     lambda r: name_has(r, "movss", "popss") and
     (bool(fields(r) & {"rip", "dr6"}) or "host action" in r["detail"])),
    ("code_tf", "Single step and code breakpoint not merged", "001",
     "A single-step trap and a code breakpoint on the next instruction are ONE #DB "
     "with BS|Bn [spec 2.3, 3.10, 8.2]; here the code breakpoint's Bn is missing.",
     lambda r: name_has(r, "code_db", "merge_tf_new_code_bp", "host_step_code_bp")),
    ("iopl", "IN, OUT, STI at CPL3 with IOPL=3 raise #GP", None,
     "With RFLAGS.IOPL=3, CPL3 code may execute IN, OUT, STI and CLI [SDM Vol. 1 "
     "19.5.1; SDM Vol. 2 STI]; here they fault with #GP(0).",
     lambda r: r["cpl"] == 3 and observed_vector(r) == 13 and
     name_has(r, "io_bp", "tf_out", "sti", "emulated")),
    ("codebp3", "Code breakpoints never fire at CPL3", None,
     "An enabled execute breakpoint faults before the instruction at any CPL [SDM "
     "17.2.4]; here the guest's code breakpoints are ignored in user mode.",
     lambda r: r["cpl"] == 3 and name_has(r, "code_bp", "hw_bp", "sticky_bd_code")),
    ("io", "I/O breakpoints", None,
     "R/W=10 with CR4.DE=1 traps after an IN/OUT touching the port [SDM 17.2.4; spec "
     "5.2]; here there is no #DB, or one even with CR4.DE=0.",
     lambda r: name_has(r, "io_bp", "hwbp_io")),
    ("hostdbg", "Host debugging (KVM_GUESTDBG_*)", None,
     "KVM_SET_GUEST_DEBUG's hardware breakpoints, general detect and exit data "
     "[spec 5.1, 7.1-7.2; selftest x86/debug_regs.c]: the expected KVM_EXIT_DEBUG "
     "does not come, comes again after a resume with RF=1, or carries a stale dr7.",
     lambda r: r["scenario"].startswith(("host_hwbp_", "host_step_"))),
    ("data", "Data breakpoints", "000",
     "Write and read/write breakpoints trap after the access, ONE #DB carrying every "
     "matched Bn [SDM 17.2.4-17.2.5; spec 2.3, 5.3-5.4]; here the #DB never comes, or "
     "lacks a cause bit.",
     lambda r: name_has(r, "wp", "_data", "merge", "rf_push_trap")),
    ("gd", "General detect (DR7.GD)", "004",
     "MOV DR with DR7.GD=1 faults with a #DB (BD) before it executes, and delivery "
     "clears GD [SDM 17.2.4; spec 5.1, 8.5].",
     lambda r: name_has(r, "gd")),
    ("rf", "RF in the pushed RFLAGS", None,
     "Faults push RF=1 (except code-breakpoint and GD #DBs), software interrupts "
     "push RF=0, traps between REP iterations push RF=1 [SDM 17.3.1.1; spec 3.8-3.9].",
     lambda r: "rflags" in fields(r) or name_has(r, "rf_push")),
    ("dr", "DR6/DR7 read-back", None,
     "MOV to DR6/DR7 sets the fixed bits and clears the reserved ones [SDM 17.2.3; "
     "spec 1.2-1.3]: the scenario's own check (INT 0x82) failed.",
     lambda r: name_has(r, "readback", "dr6_", "dr7_")),
    ("df", "#DF and serial delivery", None,
     "Benign, contributory and page-fault classes combine per SDM Table 6-5 [spec 6.2].",
     lambda r: name_has(r, "df_", "serial_", "triple")),
    ("nmi", "NMI blocking", None,
     "An NMI held by NMI blocking is delivered right after the next IRET [SDM 6.7.1].",
     lambda r: name_has(r, "nmi")),
    ("tf", "Single-step (TF) placement", None,
     "One #DB after every instruction that completes with TF=1 [SDM 17.3.1.4; spec "
     "3.1-3.8].",
     lambda r: name_has(r, "tf_", "singlestep")),
]


def classify(r):
    for key, title, seed, why, pred in RULES:
        try:
            if pred(r):
                return key
        except (KeyError, IndexError, TypeError):
            continue
    return "other"


def short(detail, n=170):
    d = re.sub(r"\s+", " ", detail)
    d = re.sub(r" \(([a-z0-9_]+)\+(0x[0-9a-f]+)\)", r" (+\2)", d)  # drop the repeated name
    return d if len(d) <= n else d[: n - 1] + "…"


def md_escape(s):
    return s.replace("|", "\\|")


def render(m):
    host = m["host"]
    backends = {b["name"]: b for b in m["backends"]}
    present = [b for b in HYPERVISORS if b in backends]
    results = m["results"]
    by_cell = {}
    variants = []
    for r in results:
        v = variant(r)
        if v not in by_cell:
            by_cell[v] = {}
            variants.append(v)
        by_cell[v][r["backend"]] = r
    host_side = {variant(r) for r in results if r.get("host_side")}

    out = []
    out.append("## Findings")
    out.append("")
    out.append("Generated by `make findings` (`trapgate conform --backend "
               + ",".join(b["name"] for b in m["backends"])
               + " --json`, then `scripts/findings.py`) on "
               + datetime.date.today().isoformat()
               + ". Do not edit by hand: the next run replaces this section.")
    out.append("")
    out.append("**This machine.** Linux %s; KVM vendor module `%s`; CPU: %s."
               % (host["kernel_release"], host["kvm_modules"], host["cpu"]))
    for b in present:
        out.append("- `%s`: %s%s" % (b, backends[b]["version"],
                                      "" if backends[b]["available"]
                                      else " — **unavailable**: " + backends[b]["reason"]))
    out.append("")
    out.append("The catalogue: %d scenarios, %d runs (CPL0, and CPL3 where the scenario "
               "allows), %d of them host-side (KVM API calls between runs; QEMU runs "
               "the kernel standalone and skips those). Expectations are bare metal "
               "(SDM, kvm-unit-tests, the seeds) or KVM's ABI for host-visible results; "
               "`guests/conform/UNVERIFIED.md` lists those not confirmed on hardware."
               % (m["scenarios"], m["variants"], len(host_side)))
    out.append("")
    out.append("| backend | runs | match | departures | DIFF | TIMEOUT | ERROR | SKIP | harness | time |")
    out.append("|---|---|---|---|---|---|---|---|---|---|")
    for b in m["backends"]:
        s = b["summary"]
        out.append("| %s | %d | %d | **%d** | %d | %d | %d | %d | %d | %.0f s |"
                   % (b["name"], s["runs"], s["match"], s["departures"], s["diff"],
                      s["timeout"], s["error"], s["skip"], s["harness"], b["seconds"]))
    out.append("")
    out.append("DIFF: the guest saw other events than bare metal, or a KVM call returned "
               "something else; TIMEOUT: the guest hung (time limit); ERROR: the "
               "hypervisor gave up on the guest (internal error, failed entry) or broke "
               "the runtime. Each run lists its first difference.")
    out.append("")

    # group departures by cause, per hypervisor
    groups = {}
    for v in variants:
        for b in present:
            r = by_cell[v].get(b)
            if not r or r["status"] not in DEPARTS:
                continue
            groups.setdefault(classify(r), set()).add(v)
    order = [k for k, *_ in RULES] + ["other"]
    titles = {k: (t, s, w) for k, t, s, w, _ in RULES}
    titles["other"] = ("Other departures", None,
                       "Not explained by the causes above; see the first difference.")
    counts = {b: 0 for b in present}
    for key in order:
        if key not in groups:
            continue
        title, seed, why = titles[key]
        rows = [v for v in variants if v in groups[key]]
        n = {b: sum(1 for v in rows if by_cell[v].get(b, {}).get("status") in DEPARTS
                    and classify(by_cell[v][b]) == key) for b in present}
        for b in present:
            counts[b] += n[b]
        out.append("### %s%s" % (title, " (seed %s)" % seed if seed else ""))
        out.append("")
        out.append(why + " Runs: " + ", ".join("%s %d" % (b, n[b]) for b in present) + ".")
        out.append("")
        out.append("| run | " + " | ".join(present) + " | first difference |")
        out.append("|---|" + "---|" * len(present) + "---|")
        for v in rows:
            cells = []
            detail = ""
            for b in present:
                r = by_cell[v].get(b)
                if not r:
                    cells.append("")
                    continue
                st = r["status"]
                if st in DEPARTS and classify(r) != key:
                    st += " (other cause)"
                elif st in DEPARTS and not detail:
                    detail = "%s: %s" % (b, short(r["detail"]))
                cells.append(st)
            out.append("| `%s` | %s | %s |" % (v, " | ".join(cells), md_escape(detail)))
        out.append("")

    model = backends.get("model")
    if model:
        out.append("### The model")
        out.append("")
        gaps = [by_cell[v]["model"] for v in variants
                if by_cell[v].get("model", {}).get("status") in DEPARTS + ("HARNESS",)]
        if not gaps:
            out.append("The model matches every run.")
        else:
            out.append("%d runs where the model departs (model bugs: `trapgate conform` "
                       "fails on them; tests/test_conform.c lists them as known gaps "
                       "until fixed):" % len(gaps))
            out.append("")
            for r in gaps:
                out.append("- `%s`: %s" % (variant(r), md_escape(short(r["detail"], 240))))
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    with open(sys.argv[1]) as f:
        m = json.load(f)
    with open(sys.argv[2]) as f:
        readme = f.read()
    section = BEGIN + "\n" + render(m) + END
    if BEGIN in readme and END in readme and readme.index(BEGIN) < readme.index(END):
        a = readme.index(BEGIN)
        z = readme.index(END) + len(END)
        readme = readme[:a] + section + readme[z:]
    else:
        readme = readme.rstrip("\n") + "\n\n" + section + "\n"
    with open(sys.argv[2], "w") as f:
        f.write(readme)
    for b in m["backends"]:
        s = b["summary"]
        print("%-9s %d runs: %d match, %d departures, %d SKIP, %d harness%s"
              % (b["name"], s["runs"], s["match"], s["departures"], s["skip"], s["harness"],
                 "" if b["available"] else " (unavailable: %s)" % b["reason"]))
    if m.get("failed"):
        print("note: the model departs from bare metal or the harness failed "
              "(see the Findings section)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
