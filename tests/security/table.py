#!/usr/bin/env python3
"""The probe x sandbox table of docs/security.md, read and checked (or written)
by tests/integration/security_probes.sh, so the document cannot drift from
what the probes see.

usage: table.py check DOC COLUMN RESULTS   exit 1 (one line per mismatch)
       table.py write DOC COLUMN RESULTS   update COLUMN's cells in DOC

RESULTS holds the probe's lines ("NAME: OUTCOME" or "NAME: OUTCOME (detail)").
The table sits between the markers below; its "why" column is written by hand
and kept as it is. A cocoon column (none, sentry, vm) may say ESCAPED only on a
row whose "why" says "known gap": anything else escaping fails the check even
if the document was edited to expect it.
"""
import fcntl
import os
import re
import sys

BEGIN = "<!-- probe-table: begin (checked by tests/integration/security_probes.sh) -->"
END = "<!-- probe-table: end -->"
# column key -> header text
COLUMNS = {
    "none": "`none`",
    "sentry": "`sentry`",
    "vm": "`vm`",
    "runc": "runc 1.1.5",
    "none-bare": "`none`, no seccomp profile",
}
HEADER = ["probe"] + list(COLUMNS.values()) + ["why"]
COCOON = ("none", "sentry", "vm")


def parse_results(path):
    out = {}
    for line in open(path):
        m = re.match(r"^([a-z0-9_]+): (.*?)(?: \((.*)\))?$", line.rstrip("\n"))
        if m:
            out[m.group(1)] = (m.group(2), m.group(3) or "")
    return out


def read_table(doc):
    lines = open(doc).read().split("\n")
    try:
        b, e = lines.index(BEGIN), lines.index(END)
    except ValueError:
        sys.exit(f"{doc}: no probe table markers")
    rows = []
    for l in lines[b + 1:e]:
        if not l.startswith("|") or l.startswith("|---"):
            continue
        cells = [c.strip() for c in l.strip().strip("|").split("|")]
        if cells[0] == "probe":
            if cells != HEADER:
                sys.exit(f"{doc}: table header is {cells}, expected {HEADER}")
            continue
        rows.append(cells)
    return lines, b, e, rows


def cell(outcome):
    return outcome.replace("|", "/")


def main():
    mode, doc, col, res = sys.argv[1:5]
    if col not in COLUMNS:
        sys.exit(f"unknown column {col}")
    ci = HEADER.index(COLUMNS[col])
    results = parse_results(res)
    if not results:
        sys.exit(f"no probe lines in {res}")
    if mode == "write":
        with open(doc) as lockf:
            fcntl.flock(lockf, fcntl.LOCK_EX)  # the column tests may run together
            lines, b, e, rows = read_table(doc)
            known = {r[0]: r for r in rows}
            for name, (outcome, _) in results.items():
                if name not in known:
                    r = [name] + [""] * (len(HEADER) - 2) + ["(to be explained)"]
                    rows.append(r)
                    known[name] = r
                known[name][ci] = cell(outcome)
            body = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
            body += ["| " + " | ".join(r) + " |" for r in rows]
            lines[b + 1:e] = body
            tmp = doc + ".tmp"
            with open(tmp, "w") as f:
                f.write("\n".join(lines))
            os.rename(tmp, doc)
        return
    _, _, _, rows = read_table(doc)
    bad = []
    seen = set()
    for r in rows:
        name, want, why = r[0], r[ci], r[-1]
        seen.add(name)
        if name not in results:
            bad.append(f"{name}: in the table, but the probe printed no line for it")
            continue
        got, detail = results[name]
        if got != want:
            bad.append(f"{name}: {col} gave [{got}] ({detail}), the table says [{want}]")
        if col in COCOON and got.startswith("ESCAPED") and "known gap" not in why.lower():
            bad.append(f"{name}: ESCAPED under {col} ({detail}): a hole, not a table entry")
    for name in results:
        if name not in seen:
            bad.append(f"{name}: the probe ran it but the table has no row")
    for b in bad:
        print(b)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
