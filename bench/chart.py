"""Draws bench/results.svg from bench/results.json: verify throughput per case,
cold start, and peak RSS, with the machine and date they were measured on."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
OURS, PEER, FLOOR = "#d9480f", "#868e96", "#495057"


def bars(ax, labels, values, colors, unit, texts, limit=None):
    """Horizontal bars with their figures; a bar past `limit` is cut there and says so."""
    limit = limit or max(values)
    y = range(len(labels))
    drawn = ax.barh(y, [min(v, limit) for v in values], color=colors)
    for bar, v in zip(drawn, values):
        if v > limit:
            bar.set_hatch("//")
            bar.set_edgecolor("white")
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    ax.set_xlim(0, limit * 1.45)
    for i, (v, text) in enumerate(zip(values, texts)):
        cut = v > limit
        ax.text(min(v, limit) + limit * 0.02, i, text + (" (bar cut)" if cut else ""), va="center", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)


def main() -> None:
    r = json.loads((HERE / "results.json").read_text())
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "claimsgate", "font.size": 10})
    fig, (top, mid, low) = plt.subplots(3, 1, figsize=(10, 9.5), height_ratios=[6, 4, 3])

    cases = r["verify"]["cases"]
    fresh = [c["per_second"] for k, c in cases.items() if not k.endswith("_repeated")]
    bars(top, [c["label"] for c in cases.values()], [c["per_second"] for c in cases.values()],
         [FLOOR if k == "floor" else OURS if k.startswith(("claimsgate", "authorizer")) else PEER for k in cases],
         "verifications per second of CPU time, one core",
         [f"{c['per_second']:,}/s  {c['vs_floor']:.2f}× floor" for c in cases.values()],
         limit=max(fresh))
    top.set_title(f"Verify one RSA-2048 Cognito ID token (median of {r['verify']['rounds']} rounds)", loc="left")

    cold = r["cold_start"]["functions"]
    bars(mid, [c["label"] for c in cold.values()], [c["first_answer_ms"] for c in cold.values()],
         [PEER if k.startswith("node") else OURS for k in cold],
         "milliseconds", [f"{c['first_answer_ms']:.1f} ms" for c in cold.values()])
    mid.set_title(f"Cold start: process start to first answer "
                  f"(median of {r['cold_start']['starts']})", loc="left")

    mem = r["memory"]["functions"]
    bars(low, [c["label"] for c in mem.values()], [c["peak_rss_kib"] / 1024 for c in mem.values()],
         [PEER if k.startswith("node") else OURS for k in mem],
         "MiB", [f"{c['peak_rss_kib'] / 1024:.1f} MiB" for c in mem.values()])
    low.set_title(f"Peak RSS after {r['memory']['tokens']:,} distinct tokens", loc="left")

    m = r["measured"]
    fig.suptitle(f"claimsgate bench: {m['cpu']}, pinned to one core, {m['date']}", x=0.02, ha="left")
    fig.tight_layout()
    fig.savefig(HERE / "results.svg", metadata={"Date": None})
    print(f"wrote {HERE / 'results.svg'}")
    write_summary(r)


def write_summary(r: dict) -> None:
    """Rewrites the figures between the bench markers of the top-level README from
    results.json, so the README never carries figures typed by hand."""
    v, cold, mem = r["verify"]["cases"], r["cold_start"]["functions"], r["memory"]["functions"]
    m = r["measured"]
    zips = [s / 1e6 for s in r["zips"].values() if s]

    def guard(case: str) -> str:
        t = v[case]["time_vs_floor"]
        return f"{t['median']:.2f}× [{t['q1']:.2f}-{t['q3']:.2f}]"

    text = (
        f"`bench/run` measured this on {m['date']} ({m['cpu']}, one core pinned; load average "
        f"{m['load_average_at_start'][0]} at start): a fresh verification of an RSA-2048 Cognito ID "
        f"token at {v['claimsgate']['vs_floor']:.2f}× the throughput of the bare aws-lc-rs RSA check, "
        f"{v['jsonwebtoken']['claimsgate_vs_this']:.2f}× jsonwebtoken, "
        f"{v['aws_jwt_verify']['claimsgate_vs_this']:.1f}× aws-jwt-verify and "
        f"{v['pyjwt']['claimsgate_vs_this']:.1f}× PyJWT; the authorizer's cold start "
        f"{cold['authorizer']['first_answer_ms']:.1f} ms against {cold['node-authorizer']['first_answer_ms']:.1f} ms "
        f"in Node ({cold['authorizer-snapshot']['first_answer_ms']:.1f} ms from a JWKS snapshot, "
        f"{cold['authorizer-fetch-30ms']['first_answer_ms']:.1f} ms fetching over a 30 ms link); its peak RSS "
        f"after {r['memory']['tokens']:,} tokens {mem['authorizer']['peak_rss_kib'] / 1024:.1f} MiB against "
        f"{mem['node-authorizer']['peak_rss_kib'] / 1024:.1f} MiB; the authorizer's whole decision (verify, then "
        f"Cedar) {v['authorizer']['microseconds']:.0f} µs, {guard('authorizer')} the floor's time on the shipped "
        f"store, {guard('authorizer_store20')} on a 20-route store and {guard('authorizer_repeated')} on a repeated "
        f"token (median of the rounds, interquartile range in brackets)"
        + (f"; arm64 zips of {min(zips):.1f} to {max(zips):.1f} MB." if zips else ".")
    )
    readme = HERE.parent / "README.md"
    start, end = "<!-- bench results: written by bench/chart.py -->", "<!-- end of bench results -->"
    doc = readme.read_text()
    if start in doc and end in doc:
        head, rest = doc.split(start, 1)
        readme.write_text(f"{head}{start}\n{text}\n{end}{rest.split(end, 1)[1]}")
        print(f"wrote the figures into {readme}")


if __name__ == "__main__":
    main()
