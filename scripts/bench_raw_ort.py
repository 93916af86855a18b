"""Raw ONNX Runtime baseline: InferenceSession.run in a loop at fixed batch sizes.

Usage: bench_raw_ort.py --model PATH [--batch-sizes 1,8] [--seq 16] [--threads 2] [--streams 1] [--seconds 10]
Prints one line per batch size: items (rows) per second and per-call latency.
--streams N runs N loops at once on the one session (each its own Python thread; run()
releases the GIL), as a server with N concurrent batches does; items/s is their sum.
Dynamic dimensions: the first is the batch, the others get --seq (comma-separated sizes in order, the last repeating).
"""
import argparse
import threading
import time

import numpy as np
import onnxruntime as ort

NUMPY = {"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32,
         "tensor(double)": np.float64, "tensor(uint8)": np.uint8, "tensor(bool)": np.bool_}


def dims(text):
    """--seq: one size, or several comma-separated (an image's height,width), the last repeating."""
    return [int(x) for x in str(text).split(",")]


def inputs_for(session, batch, seq):
    feeds = {}
    rng = np.random.default_rng(0)
    sizes = dims(seq)
    for arg in session.get_inputs():
        shape, dynamic = [], 0
        for i, d in enumerate(arg.shape):
            if isinstance(d, int) and d > 0:
                shape.append(d)
            elif i == 0:
                shape.append(batch)
            else:
                shape.append(sizes[min(dynamic, len(sizes) - 1)])
                dynamic += 1
        dtype = NUMPY[arg.type]
        if dtype == np.int64 and "mask" in arg.name:
            feeds[arg.name] = np.ones(shape, dtype)
        elif dtype == np.int64 and "type" in arg.name:
            feeds[arg.name] = np.zeros(shape, dtype)
        elif dtype == np.int64:
            feeds[arg.name] = rng.integers(1000, 5000, size=shape, dtype=np.int64)
        else:
            feeds[arg.name] = rng.random(shape).astype(dtype)
    return feeds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--batch-sizes", default="1,8")
    parser.add_argument("--seq", default="16", help="size of the dynamic dimensions after the batch; a,b for several")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    for batch in [int(b) for b in args.batch_sizes.split(",")]:
        feeds = inputs_for(session, batch, args.seq)
        for _ in range(5):
            session.run(None, feeds)
        latencies = []
        lock = threading.Lock()
        start = time.perf_counter()

        def loop():
            mine = []
            while time.perf_counter() - start < args.seconds:
                t = time.perf_counter()
                session.run(None, feeds)
                mine.append((time.perf_counter() - t) * 1000)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=loop) for _ in range(max(1, args.streams))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        calls = len(latencies)
        latencies.sort()
        print(f"raw_ort batch={batch} threads={args.threads} streams={max(1, args.streams)} "
              f"items_per_s={calls * batch / elapsed:.1f} calls={calls} p50_ms={latencies[len(latencies) // 2]:.2f}")

if __name__ == "__main__":
    main()
