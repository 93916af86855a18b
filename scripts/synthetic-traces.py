#!/usr/bin/env python3
"""Synthetic request-rate traces (t_s,rps) for checking the autoscaling
policies on traffic they were not tuned on. Deterministic (fixed seeds).

  scripts/synthetic-traces.py OUT_DIR

Writes (file names ending in `_bursty` are judged by the bursty goals):
  syn_diurnal_2d_10s.csv      2 days, 10 s buckets: daily cycle 4x, noise, a few 20-min plateaus
  syn_steps_2h_1s.csv         2 h, 1 s: Poisson counts, level steps of 0.5-1.6x every 10 min
  syn_ramp_fast_1h_1s.csv     1 h, 1 s: Poisson counts, rise 3x over 10 min and back
  syn_onoff_bursty_1h_1s.csv  1 h, 1 s: on/off bursts (30-120 s at 10-40 rps, gaps 30-300 s)
  syn_spiky_bursty_1h_1s.csv  1 h, 1 s: steady 6 rps plus 5-20 s spikes of 5-10x
  conv_stretched_2x_1s.csv    the shared conv trace, every second repeated twice (2 h)
  code_shifted_bursty_1s.csv  the shared code trace, rotated by half its length
  servegen_shifted_12h_10s.csv  the shared ServeGen week, rotated by 12 h
"""
import math, os, random, sys

SHARED = "/work/shared/traces"


def write(path, rows, bucket):
    with open(path, "w") as f:
        f.write("t_s,rps\n")
        for i, r in enumerate(rows):
            f.write(f"{i * bucket},{r:.3f}\n")


def poisson(rng, mean):
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        p *= rng.random()
        k += 1
    return k


def load(name):
    rows = []
    with open(os.path.join(SHARED, name)) as f:
        next(f)
        for line in f:
            rows.append(float(line.split(",")[1]))
    return rows


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = random.Random(42)
    # Diurnal, 2 days of 10 s buckets (rates are means: no counting noise needed at 10 s).
    rows, level = [], 1.0
    for i in range(2 * 8640):
        t = i * 10
        day = 1 + 1.5 * (1 - math.cos(2 * math.pi * (t % 86400) / 86400))  # 1..4
        if i % 60 == 0:
            level = rng.uniform(0.9, 1.1)
        rows.append(200 * day * level)
    write(os.path.join(out, "syn_diurnal_2d_10s.csv"), rows, 10)
    # Steps every 10 min.
    rows, mean = [], 8.0
    for t in range(7200):
        if t % 600 == 0 and t > 0:
            mean = max(3.0, min(20.0, mean * rng.uniform(0.5, 1.6)))
        rows.append(poisson(rng, mean))
    write(os.path.join(out, "syn_steps_2h_1s.csv"), rows, 1)
    # Fast ramp: 5 rps, rising to 15 over 10 min from minute 20, back down from minute 40.
    rows = []
    for t in range(3600):
        m = t / 60
        mean = 5 + 10 * min(1, max(0, (m - 20) / 10)) - 10 * min(1, max(0, (m - 40) / 10))
        rows.append(poisson(rng, mean))
    write(os.path.join(out, "syn_ramp_fast_1h_1s.csv"), rows, 1)
    # On/off bursts.
    rows = []
    while len(rows) < 3600:
        rows += [0] * rng.randint(30, 300)
        mean = rng.uniform(10, 40)
        rows += [poisson(rng, mean) for _ in range(rng.randint(30, 120))]
    write(os.path.join(out, "syn_onoff_bursty_1h_1s.csv"), rows[:3600], 1)
    # Steady load with short spikes.
    rows, t = [], 0
    while len(rows) < 3600:
        gap = rng.randint(60, 400)
        rows += [poisson(rng, 6) for _ in range(gap)]
        factor = rng.uniform(5, 10)
        rows += [poisson(rng, 6 * factor) for _ in range(rng.randint(5, 20))]
    write(os.path.join(out, "syn_spiky_bursty_1h_1s.csv"), rows[:3600], 1)
    # Transformations of the shared traces.
    conv = load("llm_azure2023_conv_ramp_1s.csv")
    write(os.path.join(out, "conv_stretched_2x_1s.csv"), [r for r in conv for _ in (0, 1)], 1)
    code = load("llm_azure2023_code_bursty_1s.csv")
    half = len(code) // 2
    write(os.path.join(out, "code_shifted_bursty_1s.csv"), code[half:] + code[:half], 1)
    week = load("llm_servegen_msmall_7d_10s.csv")
    write(os.path.join(out, "servegen_shifted_12h_10s.csv"), week[4320:] + week[:4320], 10)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "out/synthetic-traces")
