#!/usr/bin/env python3
"""Reads a cargo-mutants run (its mutants.out/outcomes.json) and says, per file,
how many mutants the tests caught, missed, could not build (unviable) or
timed out on; every missed mutant must be listed in mutants/justified.txt
with why it is harmless, else this fails.

    scripts/mutants_report.py OUT_DIR [--summary FILE] [--merge]

A justified line is `FILE: MUTATION  # why`, MUTATION as cargo-mutants names
it without its line and column (`replace == with != in KeySet::parse`), so a
line survives edits elsewhere in the file. A line covers one missed mutant:
two survivors of the same name (the same change at two places of a function)
need two lines, so a new survivor never hides behind an old reason.

With --summary, the per-file table, a subtotal per part (the core, each
function, the Cognito stand-in) and the total are written there too, a part
whose caught share of viable mutants is under 90% fails the run, and the
figures between `<!-- mutants: PATH… -->` and `<!-- /mutants -->` in
SECURITY.md are rewritten from the table (a PATH ending in `/` is every file
under it). With --merge, the files of this run replace theirs in an existing
summary and the others are kept. A run over a change, without --summary, is
held to the justified list only.
"""

import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
JUSTIFIED = ROOT / "mutants" / "justified.txt"
SECURITY = ROOT / "SECURITY.md"
KINDS = ["caught", "missed", "unviable", "timeout"]
# The parts held to FLOOR of viable mutants caught, by path prefix.
PARTS = ["shared/src/", "functions/authorizer/", "functions/me-claims/", "functions/pre-token-gen/", "src/cognito/"]
FLOOR = 0.9
MARKER = re.compile(r"<!-- mutants: ([^>]+?) -->.*?<!-- /mutants -->", re.S)


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


def justified() -> Counter[tuple[str, str]]:
    """How many missed mutants each (file, mutation) of mutants/justified.txt covers."""
    out: Counter[tuple[str, str]] = Counter()
    if not JUSTIFIED.exists():
        return out
    for line in JUSTIFIED.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        entry, _, why = line.partition("  # ")
        file, _, mutation = entry.partition(": ")
        if not why.strip():
            sys.exit(f"mutants/justified.txt: no reason given: {line}")
        out[(file.strip(), mutation.strip())] += 1
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
    unexplained = []
    for m in missed:
        if reasons[m] > 0:
            reasons[m] -= 1
        else:
            unexplained.append(m)
    rows = dict(counts)
    if merge and summary_file and summary_file.exists():
        for line in summary_file.read_text().splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 5 and parts[0] not in rows and parts[0].endswith(".rs"):
                rows[parts[0]] = dict(zip(KINDS, map(int, parts[1:5])))
    lines = [f"{'file':<48} {'caught':>6} {'missed':>6} {'unviable':>8} {'timeout':>7}  caught/viable"]
    lines += [row(file, rows[file]) for file in sorted(rows)]
    low = []
    for part in PARTS:
        c = added(rows, [part])
        if c["caught"] + c["missed"]:
            lines.append(row(f"part {part}", c))
            if summary_file and c["caught"] < FLOOR * (c["caught"] + c["missed"]):
                low.append(part)
    lines.append(row("total", added(rows, [""])))
    print("\n".join(lines))
    if summary_file:
        summary_file.write_text("\n".join(lines) + "\n")
        write_security_figures(rows)
    justified_missed = len(missed) - len(unexplained)
    print(f"mutants: {len(missed)} missed, {justified_missed} of them justified in mutants/justified.txt")
    if unexplained:
        print("missed and not justified (add a test that fails, or a line to mutants/justified.txt):")
        for file, mutation in unexplained:
            print(f"  {file}: {mutation}")
    if low:
        print(f"under {FLOOR:.0%} of viable mutants caught: {', '.join(low)}")
    if unexplained or low:
        sys.exit(1)


def added(rows: dict[str, dict[str, int]], prefixes: list[str]) -> dict[str, int]:
    """The counts of every file under one of `prefixes` (a file's own path matches itself)."""
    total = dict.fromkeys(KINDS, 0)
    for file, c in rows.items():
        if any(file.startswith(p) for p in prefixes):
            for k in KINDS:
                total[k] += c[k]
    return total


def row(name: str, c: dict[str, int]) -> str:
    viable = c["caught"] + c["missed"]
    share = f"{100 * c['caught'] / viable:.1f}%" if viable else "-"
    return f"{name:<48} {c['caught']:>6} {c['missed']:>6} {c['unviable']:>8} {c['timeout']:>7}  {share}"


def write_security_figures(rows: dict[str, dict[str, int]]) -> None:
    """Rewrites SECURITY.md's mutation figures from the summary's rows."""
    def figure(match: re.Match[str]) -> str:
        paths = match.group(1).split()
        c = added(rows, paths)
        viable = c["caught"] + c["missed"]
        text = f"{c['caught']} of {viable} viable mutants caught" if viable else "not yet run"
        if c["timeout"]:
            text += f", {c['timeout']} timed out"
        return f"<!-- mutants: {match.group(1)} -->{text}<!-- /mutants -->"

    doc = SECURITY.read_text()
    SECURITY.write_text(MARKER.sub(figure, doc))


main()
