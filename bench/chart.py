"""Draws bench/results.svg from bench/results.json: verify throughput per case,
cold start, and peak RSS, with the machine and date they were measured on."""

import json
from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).resolve().parent
OURS, PEER, FLOOR = "#d9480f", "#868e96", "#495057"


def bars(ax, labels, values, colors, unit, fmt, log=False):
    y = range(len(labels))
    ax.barh(y, values, color=colors)
    ax.set_yticks(list(y), labels)
    ax.invert_yaxis()
    ax.set_xlabel(unit)
    if log:
        ax.set_xscale("log")
    ax.set_xlim(right=max(values) * (8 if log else 1.3))
    for i, v in enumerate(values):
        ax.text(v * (1.08 if log else 1) + (0 if log else max(values) * 0.02), i, fmt(v), va="center", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)


def main() -> None:
    r = json.loads((HERE / "results.json").read_text())
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "claimsgate", "font.size": 10})
    fig, (top, mid, low) = plt.subplots(3, 1, figsize=(9, 9.5), height_ratios=[6, 4, 3])

    cases = r["verify"]["cases"]
    bars(top, [c["label"] for c in cases.values()], [c["per_second"] for c in cases.values()],
         [FLOOR if k == "floor" else OURS if k.startswith("claimsgate") else PEER for k in cases],
         "verifications per second, one core (log scale)",
         lambda v: f"{v:,.0f}/s", log=True)
    top.set_title(f"Verify one RSA-2048 Cognito ID token (median of {r['verify']['rounds']} rounds)", loc="left")

    cold = r["cold_start"]["functions"]
    bars(mid, [c["label"] for c in cold.values()], [c["first_answer_ms"] for c in cold.values()],
         [PEER if k.startswith("node") else OURS for k in cold],
         "milliseconds", lambda v: f"{v:.1f} ms")
    mid.set_title(f"Cold start: process start to first answered invocation, JWKS fetched at init "
                  f"(median of {r['cold_start']['starts']})", loc="left")

    mem = r["memory"]["functions"]
    bars(low, [c["label"] for c in mem.values()], [c["peak_rss_kib"] / 1024 for c in mem.values()],
         [PEER if k.startswith("node") else OURS for k in mem],
         "MiB", lambda v: f"{v:.1f} MiB")
    low.set_title(f"Peak RSS after {r['memory']['tokens']:,} distinct tokens", loc="left")

    m = r["measured"]
    fig.suptitle(f"claimsgate bench: {m['cpu']}, pinned to one core, {m['date']}", x=0.02, ha="left")
    fig.tight_layout()
    fig.savefig(HERE / "results.svg", metadata={"Date": None})
    print(f"wrote {HERE / 'results.svg'}")


if __name__ == "__main__":
    main()
