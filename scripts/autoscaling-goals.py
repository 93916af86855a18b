#!/usr/bin/env python3
"""The issue's goal table: runs `inference-operator simulate --json` on every
trace, for each cold start, start and seed, and checks the shipped default
policy against the goals.

  scripts/autoscaling-goals.py [--bin .build/release/inference-operator] [--cold-starts 5,30]
      [--starts settled,fresh] [--seeds 1] [--jobs 2] TRACE.csv... [-- SIMULATE FLAGS]

Goals, per trace, cold start and start (seed 1 unless --seeds says otherwise):
- class: smooth or bursty, as the simulator computes it from the trace
  (`Trace.isBursty`: sudden rises of the 1-minute rate in more than 1% of its
  minutes; the JSON's `bursty` and `sudden_rises`), never from the file name.
- SLO: the default's minutes within the SLO >= the line, min(99, O-1) smooth,
  min(97, O-3) bursty (O = the oracle's %). "(out of reach)": the idealised
  causal policy misses the line too, with every hold up to 1800 s.
- cheapest: no other policy (matrix, hpa, hpa-util, kpa) that meets the line
  costs less.
- cost: <= 1.3x the oracle (smooth) / 1.6x (bursty); where the idealised
  causal policy (`--ideal-causal-holds`) needs more than that to reach the line,
  <= 1.05x its cost at the line (the cheapest hold that reaches it; where no
  hold up to 1800 s does, its cost at its best SLO). The bound column says which.
- reversals: <= 12 per hour.
- opening (fresh start only): in the first 10 minutes, never more than 1 above
  the most the oracle has paid for so far, unless the latency rule set them
  (`first_10min_excess_replicas` <= 0).
- seeds (when --seeds lists several): at most one minute under the line on
  any trace, for every seed after the first.
Extra flags after `--` go to simulate (e.g. --default-policy-json p.json).
"""
import argparse, concurrent.futures, json, math, os, subprocess, sys

POLICIES = ["default", "matrix", "hpa", "hpa-util", "kpa", "oracle"]
BASELINES = ["matrix", "hpa", "hpa-util", "kpa"]
# The idealised causal policy's holds: a coarse grid, refined to 15 s where the line is crossed.
HOLDS = [0, 15, 30, 60, 90, 120, 180, 240, 300, 420, 600, 900, 1200, 1800]


def simulate(binary, trace, cold_start, start, seed, extra=(), policies=None, holds=None):
    """One `simulate --json` run, parsed."""
    cmd = [binary, "simulate", "--trace", trace, "--cold-start", str(cold_start), "--start", start,
           "--seed", str(seed), "--json"]
    for p in policies or []:
        cmd += ["--policy", p]
    if holds:
        cmd += ["--ideal-causal-holds", ",".join(str(h) for h in holds)]
    out = subprocess.run(cmd + list(extra), check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def line_of(report):
    o = report["policies"]["oracle"]["slo_minutes_pct"]
    bursty = report["bursty"]
    return o, (min(97.0, o - 3) if bursty else min(99.0, o - 1)), (1.6 if bursty else 1.3)


def meets(slo, line):
    return slo >= line - 1e-9


def ideal_at_line(binary, trace, cold_start, start, seed, line, extra=()):
    """The idealised causal policy's cost at the line: (cost, hold, reached)."""
    def run(holds):
        r = simulate(binary, trace, cold_start, start, seed, extra, policies=["oracle"], holds=holds)
        return {b["hold_s"]: (b["slo_minutes_pct"], b["cost_vs_oracle"]) for b in r["ideal_causal"]}
    points = run(HOLDS)
    passing = [h for h in HOLDS if meets(points[h][0], line)]
    if not passing:
        best = max(points.values(), key=lambda v: (v[0], -v[1]))
        hold = min(h for h, v in points.items() if v == best)
        return best[1], hold, False
    first = passing[0]
    below = [h for h in HOLDS if h < first]
    if below:
        finer = list(range(below[-1] + 15, first, 15))
        if finer:
            points.update(run(finer))
    cheapest = min((v[1], h) for h, v in points.items() if meets(v[0], line))
    return cheapest[0], cheapest[1], True


def evaluate(report, bound=None):
    """Goal verdicts for the default in one report. `bound` is the idealised
    policy's (cost, hold, reached) at the line, needed only when the default's
    cost is above the plain limit (pass None to have it treated as missing)."""
    p = report["policies"]
    o, line, limit = line_of(report)
    d = p["default"]
    slo_ok = meets(d["slo_minutes_pct"], line)
    others = [k for k in BASELINES if k in p and meets(p[k]["slo_minutes_pct"], line)]
    cheapest = slo_ok and all(d["replica_seconds"] <= p[k]["replica_seconds"] for k in others)
    cost_limit, bound_text = limit, f"<= {limit}"
    if bound is not None and bound[0] > limit:
        cost_limit = 1.05 * bound[0]
        bound_text = f"<= 1.05 x {bound[0]:.2f} (ideal {bound[1]} s{'' if bound[2] else ', line out of reach'})"
    cost_ok = d["cost_vs_oracle"] <= cost_limit + 1e-9
    rev_ok = d["reversals_per_hour"] <= 12
    opening_ok = report.get("start") != "fresh" or d.get("first_10min_excess_replicas", 0) <= 0
    minutes = (report["duration_s"] + 59) // 60
    needed = math.ceil(line * minutes / 100 - 1e-6)
    under = max(0, needed - round(d["slo_minutes_pct"] * minutes / 100))
    out_of_reach = bound is not None and not bound[2]
    return {"O": o, "line": line, "limit": limit, "cost_limit": cost_limit, "bound_text": bound_text,
            "out_of_reach": out_of_reach,
            "slo": slo_ok, "cheapest": cheapest, "cost": cost_ok, "rev": rev_ok, "opening": opening_ok,
            "minutes_under": under, "cheaper_on_line": [k for k in others if p[k]["replica_seconds"] < d["replica_seconds"]]}


def needs_bound(report):
    """Whether the idealised policy's figures are needed: for the cost goal when
    the default costs more than the plain limit, and to tell whether the line is
    within any causal policy's reach when the default misses it."""
    _, line, limit = line_of(report)
    d = report["policies"]["default"]
    return d["cost_vs_oracle"] > limit + 1e-9 or not meets(d["slo_minutes_pct"], line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/inference-operator")
    ap.add_argument("--cold-starts", default="5,30")
    ap.add_argument("--starts", default="settled,fresh")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("traces", nargs="+")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    cases = [(start, cs, trace, seed) for start in args.starts.split(",") for cs in args.cold_starts.split(",")
             for trace in args.traces for seed in seeds]

    def one(case):
        start, cs, trace, seed = case
        r = simulate(args.bin, trace, cs, start, seed, extra)
        bound = None
        if needs_bound(r):
            _, line, _ = line_of(r)
            bound = ideal_at_line(args.bin, trace, cs, start, seed, line, extra)
        return case, r, evaluate(r, bound)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(one, cases))

    header = ("| trace | class | start | cs | O | line | default SLO | cost | cost goal | rev/h | 10-min excess | "
              "SLO | cheapest | cost | rev | opening | " + " | ".join(BASELINES) + " |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    ok = lambda b: "pass" if b else "FAIL"
    failures = 0
    for (start, cs, trace, seed), r, g in results:
        if seed != seeds[0]:
            continue
        p, d = r["policies"], r["policies"]["default"]
        checks = [g["slo"], g["cheapest"], g["cost"], g["rev"]] + ([g["opening"]] if start == "fresh" else [])
        failures += sum(not c for c in checks)
        cells = " | ".join(f"{p[k]['slo_minutes_pct']:.1f}% {p[k]['cost_vs_oracle']:.2f}x"
                           f"{'*' if meets(p[k]['slo_minutes_pct'], g['line']) else ''}" for k in BASELINES)
        cheapest = ok(g["cheapest"]) + (f" ({', '.join(g['cheaper_on_line'])})" if g["cheaper_on_line"] else "")
        name = os.path.basename(trace).replace(".csv", "")
        slo = ok(g["slo"]) + (" (out of reach)" if g["out_of_reach"] and not g["slo"] else "")
        print(f"| {name} | {'bursty' if r['bursty'] else 'smooth'} ({r['sudden_rises']}) | {start} | {cs} s | {g['O']:.1f} | "
              f"{g['line']:.1f} | {d['slo_minutes_pct']:.1f}% | {d['cost_vs_oracle']:.3f}x | {g['bound_text']} | "
              f"{d['reversals_per_hour']:.1f} | {d['first_10min_excess_replicas']} | {slo} | {cheapest} | "
              f"{ok(g['cost'])} | {ok(g['rev'])} | {ok(g['opening']) if start == 'fresh' else '-'} | {cells} |", flush=True)
    print(f"\n{failures} goal check(s) failed (seed {seeds[0]})")
    if len(seeds) > 1:
        worst = {}
        for (start, cs, trace, seed), r, g in results:
            if seed == seeds[0]:
                continue
            key = (os.path.basename(trace).replace(".csv", ""), start, cs)
            worst.setdefault(key, []).append((seed, g["minutes_under"], r["policies"]["default"]["slo_minutes_pct"],
                                              r["policies"]["default"]["cost_vs_oracle"]))
        misses = 0
        print(f"\nSeeds {','.join(map(str, seeds[1:]))}: minutes under the line (goal: at most 1), SLO % and cost per seed")
        print("| trace | start | cs | " + " | ".join(f"seed {s}" for s in seeds[1:]) + " |")
        print("|---|---|---|" + "---|" * (len(seeds) - 1))
        for (name, start, cs), rows in worst.items():
            misses += sum(1 for row in rows if row[1] > 1)
            print(f"| {name} | {start} | {cs} s | " + " | ".join(
                f"{u}{' FAIL' if u > 1 else ''} ({slo:.1f}% {cost:.2f}x)" for _, u, slo, cost in sorted(rows)) + " |")
        print(f"\n{misses} seed run(s) more than one minute under the line")


if __name__ == "__main__":
    main()
