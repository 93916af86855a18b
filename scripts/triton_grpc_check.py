#!/usr/bin/env python3
"""Drives inference-server's gRPC port with the real tritonclient[grpc] (as Triton and KServe
users do) against the `types` test model (an Identity per datatype) and prints one JSON object:
what each call returned, or the gRPC status it failed with. GRPCTritonClientTests checks it.

    triton_grpc_check.py HOST:PORT
"""
import json
import sys

import numpy as np
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

DTYPES = {
    "bool": ("BOOL", np.bool_), "uint8": ("UINT8", np.uint8), "uint16": ("UINT16", np.uint16),
    "uint32": ("UINT32", np.uint32), "uint64": ("UINT64", np.uint64), "int8": ("INT8", np.int8),
    "int16": ("INT16", np.int16), "int32": ("INT32", np.int32), "int64": ("INT64", np.int64),
    "float16": ("FP16", np.float16), "float32": ("FP32", np.float32), "float64": ("FP64", np.float64),
    "string": ("BYTES", np.object_),
}

DTYPES_ORDER = list(DTYPES)


def sample(name, np_type, rows):
    if name == "string":
        return np.array([[f"r{r}c{c}".encode() for c in range(2)] for r in range(rows)], dtype=np.object_)
    if name == "bool":
        return np.array([[(r + c) % 2 == 0 for c in range(2)] for r in range(rows)], dtype=np.bool_)
    return (np.arange(rows * 2).reshape(rows, 2) + 1).astype(np_type)


def inputs_for(rows):
    tensors = []
    for name, (datatype, np_type) in DTYPES.items():
        data = sample(name, np_type, rows)
        tensor = grpcclient.InferInput("in_" + name, list(data.shape), datatype)
        tensor.set_data_from_numpy(data)
        tensors.append(tensor)
    return tensors


def with_short_tensor():
    """Every input, but in_float32's raw bytes are one element short of its shape."""
    tensors = inputs_for(1)
    tensors[DTYPES_ORDER.index("float32")] = short = grpcclient.InferInput("in_float32", [1, 2], "FP32")
    short._raw_content = np.array([1.0], dtype=np.float32).tobytes()
    short._input.ClearField("contents")
    return tensors


def failure(call):
    try:
        call()
    except InferenceServerException as error:
        return {"status": str(error.status()), "message": error.message()}
    return {"status": "OK"}


def main(url):
    client = grpcclient.InferenceServerClient(url=url)
    report = {
        "live": client.is_server_live(),
        "ready": client.is_server_ready(),
        "model_ready": client.is_model_ready("types"),
        "server": client.get_server_metadata(as_json=True),
        "metadata": client.get_model_metadata("types", as_json=True),
    }
    rows = 3
    outputs = [grpcclient.InferRequestedOutput("out_" + name) for name in DTYPES]
    result = client.infer("types", inputs_for(rows), outputs=outputs, request_id="req-7")
    matches = {}
    for name, (_, np_type) in DTYPES.items():
        got = result.as_numpy("out_" + name)
        matches[name] = bool(got is not None and got.shape == (rows, 2) and np.array_equal(got, sample(name, np_type, rows)))
    response = result.get_response()
    report["infer"] = {"id": response.id, "model_name": response.model_name, "matches": matches,
                       "datatypes": {o.name: o.datatype for o in response.outputs}}
    report["errors"] = {
        "unknown_model": failure(lambda: client.infer("nope", inputs_for(1))),
        "unknown_version": failure(lambda: client.infer("types", inputs_for(1), model_version="9")),
        "model_ready_unknown": failure(lambda: client.is_model_ready("nope")),
        "missing_input": failure(lambda: client.infer("types", inputs_for(1)[1:])),
        "short_tensor": failure(lambda: client.infer("types", with_short_tensor())),
    }
    print(json.dumps(report, sort_keys=True))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
