"""Writes a v2 JSON infer request (batch 1) for a model, inputs shaped from its metadata.

Usage: make_infer_request.py --model PATH --out FILE [--seq 16] [--binary-output]
"""
import argparse
import json

import numpy as np
import onnxruntime as ort

from bench_raw_ort import inputs_for

DATATYPE = {np.float32: "FP32", np.int64: "INT64", np.int32: "INT32", np.float64: "FP64", np.uint8: "UINT8", np.bool_: "BOOL"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--seq", type=int, default=16)
    parser.add_argument("--binary-output", action="store_true", help="ask for outputs in the binary tensor extension")
    args = parser.parse_args()
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    feeds = inputs_for(session, 1, args.seq)
    body = {"inputs": [{"name": name, "shape": list(value.shape), "datatype": DATATYPE[value.dtype.type],
                        "data": value.flatten().tolist()} for name, value in feeds.items()]}
    if args.binary_output:
        body["parameters"] = {"binary_data_output": True}
    with open(args.out, "w") as f:
        json.dump(body, f)


if __name__ == "__main__":
    main()
