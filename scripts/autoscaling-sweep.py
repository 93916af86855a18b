#!/usr/bin/env python3
"""Sweeps and leave-one-out selection of the default policy's constants.

  scripts/autoscaling-sweep.py --bin BIN --candidates FILE.json [--held-out A.csv,B.csv,...]
      [--cold-starts 5,30] [--starts settled,fresh] [--seed 1] [--cache DIR] [--jobs 2] TRACE.csv...

FILE.json maps a candidate's name to a ScalingPolicy (as `simulate
--print-default-policy` writes it). Every candidate runs on every trace, cold
start and start (`simulate --policy default --default-policy-json`); the
baselines and the idealised causal bound do not depend on the candidate and
are run once (cached in DIR, keyed by the binary's modification time).

Scores (goals as scripts/autoscaling-goals.py checks them): per candidate, the
goal misses (SLO line, cheapest, cost, reversals, fresh-start opening) summed
over runs, then the mean log cost vs the oracle as the tie-break.

Leave-one-out (--held-out, the traces to hold out one at a time): for each, the
candidate with the best score on all the other traces is chosen, and the held
out trace's figures under that choice are reported. With no --held-out, the
table of every candidate's score over all traces is printed.
"""
import argparse, concurrent.futures, hashlib, importlib.util, json, math, os, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("goals", os.path.join(HERE, "autoscaling-goals.py"))
goals = importlib.util.module_from_spec(spec)
spec.loader.exec_module(goals)


class Cache:
    def __init__(self, directory, binary, extra):
        self.directory = directory
        stamp = f"{os.path.getmtime(binary)}:{' '.join(extra)}"
        self.tag = hashlib.sha1(stamp.encode()).hexdigest()[:10]
        if directory:
            os.makedirs(directory, exist_ok=True)

    def path(self, kind, key):
        name = hashlib.sha1(json.dumps([kind, key], sort_keys=True).encode()).hexdigest()[:16]
        return os.path.join(self.directory, f"{kind}-{self.tag}-{name}.json") if self.directory else None

    def get(self, kind, key, compute):
        path = self.path(kind, key)
        if path and os.path.exists(path):
            with open(path) as f:
                return json.load(f)
        value = compute()
        if path:
            with open(path + ".tmp", "w") as f:
                json.dump(value, f)
            os.replace(path + ".tmp", path)
        return value


def run_all(args, candidates, traces, extra):
    cache = Cache(args.cache, args.bin, extra)
    seed = args.seed
    cases = [(trace, cs, start) for trace in traces for cs in args.cold_starts.split(",") for start in args.starts.split(",")]
    policy_files = {}
    tmp = tempfile.mkdtemp(prefix="sweep-")
    for name, policy in candidates.items():
        path = os.path.join(tmp, f"{hashlib.sha1(name.encode()).hexdigest()[:12]}.json")
        with open(path, "w") as f:
            json.dump(policy, f)
        policy_files[name] = path

    def baseline(case):
        trace, cs, start = case
        return cache.get("base", [os.path.abspath(trace), cs, start, seed], lambda: goals.simulate(
            args.bin, trace, cs, start, seed, extra, policies=goals.BASELINES + ["oracle"]))

    def candidate(job):
        name, (trace, cs, start) = job
        key = [os.path.abspath(trace), cs, start, seed, candidates[name]]
        return cache.get("cand", key, lambda: goals.simulate(
            args.bin, trace, cs, start, seed, list(extra) + ["--default-policy-json", policy_files[name]], policies=["default", "oracle"]))

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        bases = dict(zip(cases, pool.map(baseline, cases)))
        jobs = [(name, case) for name in candidates for case in cases]
        runs = dict(zip(jobs, pool.map(candidate, jobs)))

    def bound(case, line):
        trace, cs, start = case
        return cache.get("bound", [os.path.abspath(trace), cs, start, seed, line], lambda: list(goals.ideal_at_line(
            args.bin, trace, cs, start, seed, line, extra)))

    results = {}
    for (name, case), r in runs.items():
        merged = json.loads(json.dumps(bases[case]))
        merged["policies"]["default"] = r["policies"]["default"]
        merged["policies"]["oracle"] = r["policies"]["oracle"]
        b = bound(case, goals.line_of(merged)[1]) if goals.needs_bound(merged) else None
        results[(name, case)] = (merged, goals.evaluate(merged, b))
    return results, cases


def misses(g, start):
    checks = [g["slo"], g["cheapest"], g["cost"], g["rev"]] + ([g["opening"]] if start == "fresh" else [])
    return sum(not c for c in checks)


def score(results, name, cases):
    total, logs = 0, []
    for case in cases:
        r, g = results[(name, case)]
        total += misses(g, case[2])
        logs.append(math.log(max(1e-6, r["policies"]["default"]["cost_vs_oracle"])))
    return total, sum(logs) / max(1, len(logs))


def short(trace):
    return os.path.basename(trace).replace(".csv", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/inference-operator")
    ap.add_argument("--candidates", required=True)
    ap.add_argument("--held-out", default="")
    ap.add_argument("--cold-starts", default="5,30")
    ap.add_argument("--starts", default="settled,fresh")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache", default="")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--detail", action="store_true", help="print every run of every candidate")
    ap.add_argument("traces", nargs="+")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = ap.parse_args(argv[:argv.index("--")] if "--" in argv else argv)
    with open(args.candidates) as f:
        candidates = json.load(f)
    held = [t for t in args.held_out.split(",") if t]
    traces = list(dict.fromkeys(args.traces + held))
    results, cases = run_all(args, candidates, traces, extra)

    print("| candidate | goal misses | mean cost (geometric) | " + " | ".join(short(t) for t in traces) + " |")
    print("|---|---|---|" + "---|" * len(traces))
    for name in candidates:
        total, log_cost = score(results, name, cases)
        per = [sum(misses(results[(name, c)][1], c[2]) for c in cases if c[0] == t) for t in traces]
        print(f"| {name} | {total} | {math.exp(log_cost):.3f} | " + " | ".join(map(str, per)) + " |")
    if args.detail:
        for name in candidates:
            for case in cases:
                r, g = results[(name, case)]
                d = r["policies"]["default"]
                print(f"{name:24s} {short(case[0])[:30]:30s} {case[1]:>3s} {case[2]:8s} {d['slo_minutes_pct']:6.2f}% "
                      f"(line {g['line']:.1f}) {d['cost_vs_oracle']:.3f}x (goal {g['cost_limit']:.2f}) "
                      f"rev {d['reversals_per_hour']:.1f} open {d['first_10min_excess_replicas']} "
                      f"misses {misses(g, case[2])} {'cheaper: ' + ','.join(g['cheaper_on_line']) if g['cheaper_on_line'] else ''}")
    if held:
        print("\nLeave-one-out: the candidate chosen on all the other traces, and the held-out trace under it")
        print("| held out | chosen | misses on the others | held-out misses | held-out runs (start cs: SLO % / line, cost / goal) |")
        print("|---|---|---|---|---|")
        for out in held:
            train = [c for c in cases if c[0] != out]
            test = [c for c in cases if c[0] == out]
            best = min(candidates, key=lambda n: score(results, n, train))
            cells = []
            for case in test:
                r, g = results[(best, case)]
                d = r["policies"]["default"]
                flags = [k for k in ("slo", "cheapest", "cost", "rev") if not g[k]] + (
                    ["opening"] if case[2] == "fresh" and not g["opening"] else [])
                cells.append(f"{case[2]} {case[1]} s: {d['slo_minutes_pct']:.1f}/{g['line']:.1f}, "
                             f"{d['cost_vs_oracle']:.2f}/{g['cost_limit']:.2f}{' FAIL ' + '+'.join(flags) if flags else ''}")
            print(f"| {short(out)} | {best} | {score(results, best, train)[0]} | "
                  f"{sum(misses(results[(best, c)][1], c[2]) for c in test)} | {'; '.join(cells)} |")


if __name__ == "__main__":
    main()
