"""Writes a v2 JSON infer request (batch 1) for a model, inputs shaped from its metadata.

Usage: make_infer_request.py --model PATH --out FILE [--seq 16 | --seq 48,192] [--binary-output] [--binary-input]
With --binary-input the file is the JSON header and then the raw input bytes, and the header's
length (the Inference-Header-Content-Length to send) is printed.
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
    parser.add_argument("--seq", default="16", help="size of the dynamic dimensions after the batch; a,b for several")
    parser.add_argument("--binary-output", action="store_true", help="ask for outputs in the binary tensor extension")
    parser.add_argument("--binary-input", action="store_true",
                        help="send inputs in the binary tensor extension: prints the Inference-Header-Content-Length")
    args = parser.parse_args()
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    feeds = inputs_for(session, 1, args.seq)
    inputs = []
    for name, value in feeds.items():
        tensor = {"name": name, "shape": list(value.shape), "datatype": DATATYPE[value.dtype.type]}
        if args.binary_input:
            tensor["parameters"] = {"binary_data_size": value.nbytes}
        else:
            tensor["data"] = value.flatten().tolist()
        inputs.append(tensor)
    body = {"inputs": inputs}
    if args.binary_output:
        body["parameters"] = {"binary_data_output": True}
    header = json.dumps(body).encode()
    with open(args.out, "wb") as f:
        f.write(header)
        if args.binary_input:
            for value in feeds.values():
                f.write(np.ascontiguousarray(value).tobytes())
    if args.binary_input:
        print(len(header))


if __name__ == "__main__":
    main()
