#!/usr/bin/env python3
"""The issue's goal table: runs `inference-operator simulate --json` on every
trace for both cold-start classes and checks the shipped default policy.

  scripts/autoscaling-goals.py [--bin .build/release/inference-operator] [--cold-starts 5,30] TRACE.csv...

Per trace and cold start: O (the oracle's SLO %), the SLO line
(min(99, O-1) smooth, min(97, O-3) bursty), the default's SLO %, cost vs
the oracle and reversals/h, pass/fail per goal, and every other policy's
SLO % and cost (* = meets the SLO line). Extra flags after `--` go to simulate.
"""
import argparse, json, os, subprocess, sys

POLICIES = ["default", "matrix", "hpa", "hpa-util", "kpa", "oracle"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/inference-operator")
    ap.add_argument("--cold-starts", default="5,30")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("traces", nargs="+")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    failures = 0
    header = ("| trace | cs | O | line | default SLO | cost | rev/h | SLO | cost | cheapest | beats HPA/KPA | rev | "
              + " | ".join(p for p in POLICIES[1:-1]) + " |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for cs in args.cold_starts.split(","):
        for trace in args.traces:
            out = subprocess.run([args.bin, "simulate", "--trace", trace, "--cold-start", cs, "--json"] + extra,
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            p = r["policies"]
            bursty = "bursty" in os.path.basename(trace).lower()
            o = p["oracle"]["slo_minutes_pct"]
            line = min(97.0, o - 3) if bursty else min(99.0, o - 1)
            cost_limit = 1.6 if bursty else 1.3
            d = p["default"]
            meets = {k: v["slo_minutes_pct"] >= line - 1e-9 for k, v in p.items()}
            slo_ok = meets["default"]
            cost_ok = d["cost_vs_oracle"] <= cost_limit + 1e-9
            others = [k for k in POLICIES[1:-1] if meets[k]]
            cheapest = slo_ok and all(d["replica_seconds"] <= p[k]["replica_seconds"] for k in others)
            baselines_fail = not any(meets[k] for k in ("hpa", "hpa-util", "kpa"))
            beats = slo_ok or not baselines_fail
            rev_ok = d["reversals_per_hour"] <= 12
            ok = lambda b: "pass" if b else "FAIL"
            failures += sum(not b for b in (slo_ok, cost_ok, cheapest, beats, rev_ok))
            cells = " | ".join(f"{p[k]['slo_minutes_pct']:.1f}% {p[k]['cost_vs_oracle']:.2f}x{'*' if meets[k] else ''}"
                               for k in POLICIES[1:-1])
            name = os.path.basename(trace).replace(".csv", "")
            print(f"| {name} | {cs} s | {o:.1f} | {line:.1f} | {d['slo_minutes_pct']:.1f}% | {d['cost_vs_oracle']:.3f}x "
                  f"| {d['reversals_per_hour']:.1f} | {ok(slo_ok)} | {ok(cost_ok)} (<= {cost_limit}) | {ok(cheapest)} | "
                  f"{ok(beats)} | {ok(rev_ok)} | {cells} |", flush=True)
    print(f"\n{failures} goal check(s) failed")


if __name__ == "__main__":
    main()
