"""Builds the tiny ONNX models the ONNX Runtime and server tests run.

Usage: python make_models.py OUT_DIR

Every model has a dynamic first dimension named "batch" so it can be batched:
  add.onnx      z = x + y            x, y: float32 [batch, 3]        -> z: float32 [batch, 3]
  matmul.onnx   y = x @ W            x: float32 [batch, 4], W fixed  -> y: float32 [batch, 2]
  types.onnx    out_T = Identity(in_T) for every served element type, shape [batch, 2]
  reshape.onnx  y = Reshape(x, shape) x: float32 [batch, 6], shape: int64 [2]
                (fails at run time when the shape does not fit: used to test error paths)
  scale.onnx    y = 2 * x            x: float32 [batch, n]           -> y: float32 [batch, n]
  scale3.onnx   y = 3 * x            (scale.onnx's interface: a second version that answers differently)
                (any row size: the zero-copy benchmark, server-bench)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper

OPSET = [helper.make_opsetid("", 17)]


def save(graph, path):
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="inference-operator-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)


def main(out):
    os.makedirs(out, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 3])
    save(helper.make_graph([helper.make_node("Add", ["x", "y"], ["z"])], "add", [x, y], [z]),
         os.path.join(out, "add.onnx"))

    weights = np.arange(8, dtype=np.float32).reshape(4, 2)
    w = helper.make_tensor("W", TensorProto.FLOAT, [4, 2], weights.flatten().tolist())
    mx = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])
    my = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 2])
    save(helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["y"])], "matmul", [mx], [my], [w]),
         os.path.join(out, "matmul.onnx"))

    types = {
        "bool": TensorProto.BOOL, "uint8": TensorProto.UINT8, "uint16": TensorProto.UINT16,
        "uint32": TensorProto.UINT32, "uint64": TensorProto.UINT64, "int8": TensorProto.INT8,
        "int16": TensorProto.INT16, "int32": TensorProto.INT32, "int64": TensorProto.INT64,
        "float16": TensorProto.FLOAT16, "float32": TensorProto.FLOAT, "float64": TensorProto.DOUBLE,
        "string": TensorProto.STRING,
    }
    inputs, outputs, nodes = [], [], []
    for name, code in types.items():
        inputs.append(helper.make_tensor_value_info("in_" + name, code, ["batch", 2]))
        outputs.append(helper.make_tensor_value_info("out_" + name, code, ["batch", 2]))
        nodes.append(helper.make_node("Identity", ["in_" + name], ["out_" + name]))
    save(helper.make_graph(nodes, "types", inputs, outputs), os.path.join(out, "types.onnx"))

    rx = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 6])
    rs = helper.make_tensor_value_info("shape", TensorProto.INT64, [2])
    ry = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["rows", "cols"])
    save(helper.make_graph([helper.make_node("Reshape", ["x", "shape"], ["y"])], "reshape", [rx, rs], [ry]),
         os.path.join(out, "reshape.onnx"))

    sx = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "n"])
    sy = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "n"])
    two = helper.make_tensor("two", TensorProto.FLOAT, [], [2.0])
    save(helper.make_graph([helper.make_node("Mul", ["x", "two"], ["y"])], "scale", [sx], [sy], [two]),
         os.path.join(out, "scale.onnx"))
    three = helper.make_tensor("three", TensorProto.FLOAT, [], [3.0])
    save(helper.make_graph([helper.make_node("Mul", ["x", "three"], ["y"])], "scale3", [sx], [sy], [three]),
         os.path.join(out, "scale3.onnx"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_models.py OUT_DIR")
    main(sys.argv[1])
