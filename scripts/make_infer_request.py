"""Writes a v2 JSON infer request (batch 1) for a model, inputs shaped from its metadata.

Usage: make_infer_request.py --model PATH --out FILE [--seq 16 | --seq 48,192] [--binary-output] [--binary-input]
                              [--grpc --model-name NAME]
With --binary-input the file is the JSON header and then the raw input bytes, and the header's
length (the Inference-Header-Content-Length to send) is printed. With --grpc the file is a
serialized gRPC ModelInferRequest for model NAME, every input in raw_input_contents
(for `inference-loadgen --grpc`).
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
    parser.add_argument("--grpc", action="store_true", help="write a serialized gRPC ModelInferRequest instead")
    parser.add_argument("--model-name", default="bench", help="the served model's name (--grpc)")
    args = parser.parse_args()
    session = ort.InferenceSession(args.model, providers=["CPUExecutionProvider"])
    feeds = inputs_for(session, 1, args.seq)
    if args.grpc:
        write_grpc(feeds, args.model_name, args.out)
        return
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


def write_grpc(feeds, model_name, out):
    # Triton's generated messages: the same field numbers as proto/grpc_predict_v2.proto.
    from tritonclient.grpc import service_pb2
    request = service_pb2.ModelInferRequest(model_name=model_name)
    for name, value in feeds.items():
        tensor = request.inputs.add()
        tensor.name = name
        tensor.datatype = DATATYPE[value.dtype.type]
        tensor.shape.extend(value.shape)
        request.raw_input_contents.append(np.ascontiguousarray(value).tobytes())
    with open(out, "wb") as f:
        f.write(request.SerializeToString())


if __name__ == "__main__":
    main()
