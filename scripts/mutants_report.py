#!/usr/bin/env python3
"""Reads a cargo-mutants run (its mutants.out/outcomes.json) and says, per file,
how many mutants the tests caught, missed, could not build (unviable) or
timed out on; every missed mutant must be listed in mutants/justified.txt
with why it is harmless, else this fails.

    scripts/mutants_report.py OUT_DIR [--summary FILE] [--merge]

A justified line is `FILE: MUTATION  # why`, MUTATION as cargo-mutants names
it without its line and column (`replace == with != in KeySet::parse`), so a
line survives edits elsewhere in the file. With --summary the per-file table
is written there too; with --merge, the files of this run replace theirs in
an existing summary and the others are kept.
"""

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUSTIFIED = ROOT / "mutants" / "justified.txt"
KINDS = ["caught", "missed", "unviable", "timeout"]


def outcome_kind(summary: str) -> str | None:
    return {
        "CaughtMutant": "caught",
        "MissedMutant": "missed",
        "Unviable": "unviable",
        "Timeout": "timeout",
    }.get(summary)


def mutant_key(name: str) -> tuple[str, str]:
    """`shared/src/jwk.rs:42:9: replace == with != in f` -> (file, `replace == with != in f`)."""
    match = re.match(r"^(.*?):\d+:\d+: (.*)$", name)
    if not match:
        return ("?", name)
    return match.group(1), match.group(2)


def justified() -> dict[tuple[str, str], str]:
    out = {}
    if not JUSTIFIED.exists():
        return out
    for line in JUSTIFIED.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        entry, _, why = line.partition("  # ")
        file, _, mutation = entry.partition(": ")
        if not why.strip():
            sys.exit(f"mutants/justified.txt: no reason given: {line}")
        out[(file.strip(), mutation.strip())] = why.strip()
    return out


def main() -> None:
    out_dir = Path(sys.argv[1])
    args = sys.argv[2:]
    summary_file = Path(args[args.index("--summary") + 1]) if "--summary" in args else None
    merge = "--merge" in args
    outcomes = json.loads((out_dir / "mutants.out" / "outcomes.json").read_text())
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(KINDS, 0))
    missed = []
    for outcome in outcomes["outcomes"]:
        scenario = outcome.get("scenario")
        if scenario == "Baseline" and outcome.get("summary") != "Success":
            sys.exit(f"mutants: the tests fail without any mutant ({outcome.get('summary')}); see {out_dir}/mutants.out/log/baseline.log")
        if not isinstance(scenario, dict) or "Mutant" not in scenario:
            continue
        mutant = scenario["Mutant"]
        kind = outcome_kind(outcome.get("summary", ""))
        if kind is None:
            continue
        file = mutant["file"]
        counts[file][kind] += 1
        if kind == "missed":
            name = mutant.get("name") or f"{file}:0:0: {mutant.get('genre', '?')}"
            missed.append(mutant_key(name))

    reasons = justified()
    unexplained = [m for m in missed if m not in reasons]
    lines = [f"{'file':<48} {'caught':>6} {'missed':>6} {'unviable':>8} {'timeout':>7}  caught/viable"]
    rows = dict(counts)
    if merge and summary_file and summary_file.exists():
        for line in summary_file.read_text().splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 5 and parts[0] not in rows and parts[0] != "total":
                rows[parts[0]] = dict(zip(KINDS, map(int, parts[1:5])))
    total = dict.fromkeys(KINDS, 0)
    for file in sorted(rows):
        c = rows[file]
        for k in KINDS:
            total[k] += c[k]
        viable = c["caught"] + c["missed"]
        share = f"{100 * c['caught'] / viable:.0f}%" if viable else "-"
        lines.append(f"{file:<48} {c['caught']:>6} {c['missed']:>6} {c['unviable']:>8} {c['timeout']:>7}  {share}")
    viable = total["caught"] + total["missed"]
    share = f"{100 * total['caught'] / viable:.1f}%" if viable else "-"
    lines.append(f"{'total':<48} {total['caught']:>6} {total['missed']:>6} {total['unviable']:>8} {total['timeout']:>7}  {share}")
    print("\n".join(lines))
    if summary_file:
        summary_file.write_text("\n".join(lines) + "\n")
    justified_missed = len(missed) - len(unexplained)
    print(f"mutants: {len(missed)} missed, {justified_missed} of them justified in mutants/justified.txt")
    if unexplained:
        print("missed and not justified (add a test that fails, or a line to mutants/justified.txt):")
        for file, mutation in unexplained:
            print(f"  {file}: {mutation}")
        sys.exit(1)


main()
