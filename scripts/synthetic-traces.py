#!/usr/bin/env python3
"""Synthetic request-rate traces (t_s,rps) for checking the autoscaling
policies on traffic they were not tuned on. Deterministic (fixed seeds).

  scripts/synthetic-traces.py [--traces DIR] OUT_DIR

DIR holds the shared traces that three of the files are derived from
(default: $TRACES_DIR). Without it those three are skipped, with a note on
stderr; the generated shapes need nothing.

Generated shapes:
  syn_diurnal_2d_10s.csv         2 days, 10 s buckets: daily cycle 4x, noise, a few 20-min plateaus
  syn_steps_2h_1s.csv            2 h, 1 s: Poisson counts, level steps of 0.5-1.6x every 10 min
  syn_ramp_fast_1h_1s.csv        1 h, 1 s: Poisson counts, rise 3x over 10 min and back
  syn_onoff_1h_1s.csv            1 h, 1 s: on/off bursts (30-120 s at 10-40 rps, gaps 30-300 s)
  syn_spiky_1h_1s.csv            1 h, 1 s: steady 6 rps plus 5-20 s spikes of 5-10x
  syn_web_week_flash_10s.csv     7 days, 10 s: weekly web load (weekday/weekend cycles, counts of a
                                 few requests per second, so 10 s buckets are noisy) with one flash
                                 crowd on day 4 (2.5x the day's peak within 2 min, decaying over ~1 h)
  syn_social_stream_1d_1s.csv    1 day, 1 s: daily cycle with heavy short-term noise (each second
                                 log-normal, sigma 0.3) and a 10-60 s viral spike of 1.3-2x about hourly
  syn_llm_client_idle_600s.csv   4 days, 600 s windows: one LLM client, on for 30 min-4 h at a level
                                 that changes per window, off (exactly 0) for 1-8 h in between
  syn_rise_from_idle_1s.csv      1 h, 1 s: 20 min without a request, then Poisson traffic at 25-35 rps
  syn_switchover_1h_1s.csv       1 h, 1 s: traffic switched over at its busiest: Poisson from t = 0 at
                                 30 rps, drifting within ±10% (a fresh start meets its peak at once)
Derived from the shared traces (needs DIR):
  conv_stretched_2x_1s.csv       the shared conv trace, every second repeated twice (2 h)
  code_shifted_1s.csv            the shared code trace, rotated by half its length
  servegen_shifted_12h_10s.csv   the shared ServeGen week, rotated by 12 h

Which goals a trace is judged by (smooth or bursty) is computed from the
trace itself (scripts/autoscaling-goals.py, `classify`), not from its name.
"""
import argparse, math, os, random, sys


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


def load(directory, name):
    rows = []
    with open(os.path.join(directory, name)) as f:
        next(f)
        for line in f:
            rows.append(float(line.split(",")[1]))
    return rows


def web_week(rng):
    """7 days of 10 s buckets: requests per bucket are Poisson around a weekly
    web profile (peak ~6 rps at 15:00 on weekdays, ~2/3 of that at weekends,
    trough ~20% at 04:00), plus a flash crowd on day 4 at 14:20."""
    rows = []
    flash_at = 4 * 86400 + 14 * 3600 + 20 * 60
    for i in range(7 * 8640):
        t = i * 10
        day, hour = t // 86400, (t % 86400) / 3600
        daily = 0.2 + 0.8 * max(0.0, math.sin(math.pi * (hour - 4) / 22)) ** 1.5 if 4 <= hour <= 26 else 0.2
        weekend = 0.65 if day in (5, 6) else 1.0
        rate = 6.0 * daily * weekend
        if t >= flash_at:
            age = t - flash_at
            rise = min(1.0, age / 120)
            rate += 6.0 * 1.5 * rise * math.exp(-max(0, age - 120) / 2400)
        rows.append(poisson(rng, rate * 10) / 10)
    return rows


def social_stream(rng):
    """One day at 1 s: a daily cycle (trough 35% of peak, ~200 events/s at
    the peak), heavy short-term noise (each second's rate log-normal, sigma
    0.3, independent from second to second), Poisson counts, and a 10-60 s
    viral spike of 1.3-2x about once an hour."""
    rows, spike_left, spike = [], 0, 1.0
    sigma = 0.3
    for t in range(86400):
        hour = t / 3600
        daily = 0.35 + 0.65 * (0.5 - 0.5 * math.cos(2 * math.pi * (hour - 3) / 24))
        if spike_left == 0 and rng.random() < 1 / 3600:
            spike_left, spike = rng.randint(10, 60), rng.uniform(1.3, 2)
        factor = spike if spike_left > 0 else 1.0
        spike_left = max(0, spike_left - 1)
        mean = 200 * daily * math.exp(rng.gauss(0, sigma) - sigma * sigma / 2) * factor
        rows.append(poisson(rng, mean))
    return rows


def llm_client(rng):
    """4 days of 600 s windows for one client: off (0) for 1-8 h, then on for
    30 min-4 h at a level (log-normal) that each window varies by ±30%."""
    rows = []
    while len(rows) < 4 * 144:
        rows += [0.0] * rng.randint(6, 48)
        level = math.exp(rng.gauss(math.log(3), 0.6))
        for _ in range(rng.randint(3, 24)):
            rows.append(round(level * rng.uniform(0.7, 1.3), 3))
    return rows[:4 * 144]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--traces", default=os.environ.get("TRACES_DIR"),
                    help="directory of the shared traces (default: $TRACES_DIR)")
    ap.add_argument("out", nargs="?", default="out/synthetic-traces")
    args = ap.parse_args()
    out = args.out
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
    write(os.path.join(out, "syn_onoff_1h_1s.csv"), rows[:3600], 1)
    # Steady load with short spikes.
    rows, t = [], 0
    while len(rows) < 3600:
        gap = rng.randint(60, 400)
        rows += [poisson(rng, 6) for _ in range(gap)]
        factor = rng.uniform(5, 10)
        rows += [poisson(rng, 6 * factor) for _ in range(rng.randint(5, 20))]
    write(os.path.join(out, "syn_spiky_1h_1s.csv"), rows[:3600], 1)
    # Shapes like the three traces the issue was measured on (each with its own seed, so
    # adding one never changes the others).
    write(os.path.join(out, "syn_web_week_flash_10s.csv"), web_week(random.Random(7)), 10)
    write(os.path.join(out, "syn_social_stream_1d_1s.csv"), social_stream(random.Random(8)), 1)
    write(os.path.join(out, "syn_llm_client_idle_600s.csv"), llm_client(random.Random(9)), 600)
    r = random.Random(10)
    level = r.uniform(25, 35)
    write(os.path.join(out, "syn_rise_from_idle_1s.csv"),
          [0] * 1200 + [poisson(r, level * (1 + 0.1 * math.sin(t / 300))) for t in range(2400)], 1)
    r = random.Random(11)
    write(os.path.join(out, "syn_switchover_1h_1s.csv"),
          [poisson(r, 30 * (1 - 0.1 * (1 - math.cos(2 * math.pi * t / 3600)) / 2)) for t in range(3600)], 1)
    # Transformations of the shared traces.
    if not args.traces:
        print("synthetic-traces: no --traces DIR (or $TRACES_DIR): skipped the three traces derived "
              "from the shared ones", file=sys.stderr)
        return
    conv = load(args.traces, "llm_azure2023_conv_ramp_1s.csv")
    write(os.path.join(out, "conv_stretched_2x_1s.csv"), [r for r in conv for _ in (0, 1)], 1)
    code = load(args.traces, "llm_azure2023_code_bursty_1s.csv")
    half = len(code) // 2
    write(os.path.join(out, "code_shifted_1s.csv"), code[half:] + code[:half], 1)
    week = load(args.traces, "llm_servegen_msmall_7d_10s.csv")
    write(os.path.join(out, "servegen_shifted_12h_10s.csv"), week[4320:] + week[:4320], 10)


if __name__ == "__main__":
    main()
