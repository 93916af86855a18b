#!/usr/bin/env python3
"""An idealised causal policy in a small replica of the simulator's model,
to see what any policy that cannot see the future can reach on a trace.

  scripts/ideal-causal.py TRACE.csv [--cold-start 5] [--holds 0,300,600,900,1200]

The policy sees the exact per-second need (ceil(rate / 8): the replicas that
keep p95 at the SLO at the known rate) one second late, changes replicas every
second without any reversal limit, and holds the highest need of the last H
seconds; new replicas are ready a cold start after being ordered. The oracle
sees the need a cold start ahead. Same scaling (highest 1-minute mean = 8
replicas x 10 rps), 10 s centred smoothing, latency curve 40 ms / (1 - rho),
backlog above rho 0.95, and minute verdict (p95 of the minute's requests, the
mixture of each second's distribution) as `inference-operator simulate`.
Poisson arrivals only weight the seconds; seed fixed.
"""
import argparse, math, random

def load(path):
    t, r = [], []
    with open(path) as f:
        header = f.readline().strip().split(",")
        ti, ri = header.index("t_s"), header.index("rps")
        for line in f:
            p = line.strip().split(",")
            if len(p) > ri: t.append(float(p[ti])); r.append(float(p[ri]))
    step = int(round(t[1] - t[0])) if len(t) > 1 else 1
    return [v for v in r for _ in range(step)]

def smooth(v, w=10):
    b, a = w // 2, w - w // 2 - 1
    pre = [0.0]
    for x in v: pre.append(pre[-1] + x)
    return [(pre[min(len(v) - 1, i + a) + 1] - pre[max(0, i - b)]) / (min(len(v) - 1, i + a) - max(0, i - b) + 1) for i in range(len(v))]

def poisson(rng, lam):
    if lam <= 0: return 0
    if lam > 50: return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    L, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= L: return k
        k += 1

def serve(rate, ready):
    backlog, p95, delay = 0.0, [], []
    for r, n in zip(rate, ready):
        cap = n * 10.0
        backlog = max(0.0, backlog + r - cap * 0.95)
        rho = min(r / cap, 0.95) if cap > 0 else 0.95
        d = backlog / cap if cap > 0 else 60
        p95.append(0.040 / (1 - rho) + d); delay.append(d)
    return p95, delay

def minute_ok(p95, delay, arrivals):
    ok = 0; minutes = (len(p95) + 59) // 60
    for m in range(minutes):
        total = above = 0.0
        for s in range(m * 60, min(len(p95), m * 60 + 60)):
            a = arrivals[s]
            if a <= 0: continue
            total += a
            if 0.2 < delay[s]: above += a
            else: above += a * math.exp(-(0.2 - delay[s]) * math.log(20) / (p95[s] - delay[s]))
        ok += total == 0 or above / total <= 0.05 + 1e-12
    return 100.0 * ok / minutes

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("trace"); ap.add_argument("--cold-start", type=int, default=5)
    ap.add_argument("--holds", default="0,60,300,600,900,1200")
    ap.add_argument("--headroom", default="1.0", help="multiply the need (utilisation 0.8 / this)")
    args = ap.parse_args()
    raw = load(args.trace)
    peak = max(sum(raw[i:i + 60]) / 60 for i in range(max(1, len(raw) - 59)))
    rate = [x * 80 / peak for x in smooth(raw)]
    rng = random.Random(1)
    arrivals = [poisson(rng, x) for x in rate]
    n, cs = len(rate), args.cold_start
    need = [min(16, max(2, math.ceil(r / 8 - 1e-9))) for r in rate]
    oracle_cost = sum(max(need[t:t + cs + 1]) for t in range(n))
    p95, delay = serve(rate, need)
    print(f"oracle: {minute_ok(p95, delay, arrivals):.1f}% of minutes, {oracle_cost} replica-s")
    for h in (float(x) for x in args.headroom.split(",")):
        want = [min(16, max(2, math.ceil(r * h / 8 - 1e-9))) for r in rate]
        for hold in (int(x) for x in args.holds.split(",")):
            # Start warm, as the simulator does: the first minute's highest
            # need, ready, and remembered as if held since before the trace.
            lead = max(hold, cs) + 1
            initial = min(16, max(2, math.ceil(max(rate[:60]) / 8 - 1e-9)))
            seen = [initial] * lead + want
            held = [initial] * lead + [0] * n
            for t in range(lead, lead + n):
                held[t] = max(seen[t - 1 - hold:t])
            # a replica serves a cold start after it is ordered; removals take
            # the newest first, so the ready ones are those alive all along
            ready = [min(held[t - cs:t + 1]) for t in range(lead, lead + n)]
            ordered = held[lead:]
            p95, delay = serve(rate, ready)
            cost = sum(ordered)
            print(f"headroom x{h:.2f} hold {hold:5d} s: {minute_ok(p95, delay, arrivals):5.1f}% of minutes at {cost / oracle_cost:.2f}x the oracle")

if __name__ == "__main__":
    main()
