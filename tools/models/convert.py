"""Converts MediaPipe's face and segmentation models (.tflite, from the mediapipe wheel)
to ONNX for tract, and checks every converted model against the original.

Run by tools/convert-models.sh inside a venv with tensorflow-cpu, tf2onnx, onnx and
onnxruntime. Usage: convert.py MODULES_DIR OUT_DIR

Steps per model: tf2onnx (opset 17); then two graph rewrites:
- selfie_segmentation: MediaPipe's custom op Convolution2DTransposeBias (TFLite options:
  padding, stride_w, stride_h as int32) becomes a standard ConvTranspose (+ bias) in NCHW,
  followed by the NCHW→NHWC transpose the graph output expects.
- face_landmark, iris_landmark: PRelu(x, a) becomes Relu(x) - a * Relu(-x), which tract
  runs faster (PRelu splits into three element-wise ops there); same values.
Validation: ONNX (onnxruntime) against the TFLite interpreter on random and constant
inputs; for the segmentation model, whose custom op TFLite cannot run, against a numpy
transpose convolution written from the op's definition. Prints the largest difference.
"""

import struct
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import tensorflow as tf
from onnx import helper, numpy_helper
from tensorflow.lite.python import schema_py_generated as schema
from tf2onnx import convert

MODELS = {
    "face_detection_short_range": "face_detection/face_detection_short_range.tflite",
    "face_landmark": "face_landmark/face_landmark.tflite",
    "iris_landmark": "iris_landmark/iris_landmark.tflite",
    "selfie_segmentation": "selfie_segmentation/selfie_segmentation.tflite",
}
TOLERANCE = 2e-3


def custom_op_params(tflite_path, op_name):
    """(padding, stride_w, stride_h) of the first custom op called op_name."""
    buf = Path(tflite_path).read_bytes()
    model = schema.Model.GetRootAsModel(buf, 0)
    sub = model.Subgraphs(0)
    for i in range(sub.OperatorsLength()):
        op = sub.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        if code.CustomCode() and code.CustomCode().decode() == op_name:
            return struct.unpack("<3i", bytes(op.CustomOptionsAsNumpy()))
    raise SystemExit(f"{tflite_path}: no custom op {op_name}")


def rewrite_transpose_conv_bias(model, params):
    padding, stride_w, stride_h = params
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    node = next(n for n in g.node if n.op_type == "TFL_Convolution2DTransposeBias")
    x, kernel_name, bias_name = node.input
    kernel = numpy_helper.to_array(inits[kernel_name])  # OHWI
    out_c, kh, kw, in_c = kernel.shape
    if (kh, kw) != (stride_h, stride_w) or padding != 1:
        raise SystemExit(f"unexpected transpose conv: kernel {kh}x{kw}, stride {stride_h}x{stride_w}, padding {padding}")
    # The op's input is an NCHW→NHWC transpose of an NCHW tensor: take the NCHW one.
    producer = next(n for n in g.node if x in n.output)
    perm = list(next(a for a in producer.attribute if a.name == "perm").ints)
    if producer.op_type != "Transpose" or perm != [0, 2, 3, 1]:
        raise SystemExit(f"unexpected producer of the transpose conv input: {producer.op_type} {perm}")
    nchw_input = producer.input[0]
    weights = np.ascontiguousarray(kernel.transpose(3, 0, 1, 2))  # (in, out, kh, kw)
    g.initializer.append(numpy_helper.from_array(weights, "segment_convtranspose_w"))
    g.initializer.append(numpy_helper.from_array(numpy_helper.to_array(inits[bias_name]).reshape(out_c), "segment_convtranspose_b"))
    conv = helper.make_node(
        "ConvTranspose",
        [nchw_input, "segment_convtranspose_w", "segment_convtranspose_b"],
        ["segment_nchw"],
        name="segment_convtranspose",
        kernel_shape=[kh, kw],
        strides=[stride_h, stride_w],
        pads=[0, 0, 0, 0],
    )
    to_nhwc = helper.make_node("Transpose", ["segment_nchw"], [node.output[0]], name="segment_to_nhwc", perm=[0, 2, 3, 1])
    index = list(g.node).index(node)
    g.node.remove(node)
    g.node.insert(index, to_nhwc)
    g.node.insert(index, conv)
    if not any(x in n.input for n in g.node):
        g.node.remove(producer)
    used = {i for n in g.node for i in n.input}
    for init in [i for i in g.initializer if i.name not in used]:
        g.initializer.remove(init)


def rewrite_prelu(model):
    g = model.graph
    count = 0
    for node in [n for n in g.node if n.op_type == "PRelu"]:
        x, slope = node.input
        out = node.output[0]
        p = node.name or out
        new = [
            helper.make_node("Relu", [x], [f"{p}_pos"], name=f"{p}_relu_pos"),
            helper.make_node("Neg", [x], [f"{p}_negx"], name=f"{p}_neg"),
            helper.make_node("Relu", [f"{p}_negx"], [f"{p}_neg_relu"], name=f"{p}_relu_neg"),
            helper.make_node("Mul", [slope, f"{p}_neg_relu"], [f"{p}_scaled"], name=f"{p}_mul"),
            helper.make_node("Sub", [f"{p}_pos", f"{p}_scaled"], [out], name=f"{p}_sub"),
        ]
        index = list(g.node).index(node)
        g.node.remove(node)
        for n in reversed(new):
            g.node.insert(index, n)
        count += 1
    return count


def tflite_outputs(path, inputs):
    interp = tf.lite.Interpreter(model_path=str(path))
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], inputs)
    interp.invoke()
    return [interp.get_tensor(d["index"]) for d in interp.get_output_details()]


def onnx_outputs(path, inputs):
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: inputs})


def samples(shape):
    rng = np.random.default_rng(7)
    return [
        rng.uniform(-1.0, 1.0, shape).astype(np.float32),
        rng.uniform(0.0, 1.0, shape).astype(np.float32),
        np.full(shape, 0.25, np.float32),
    ]


def check_against_tflite(name, tflite_path, onnx_path, shape):
    worst = 0.0
    for x in samples(shape):
        for a, b in zip(tflite_outputs(tflite_path, x), onnx_outputs(onnx_path, x)):
            worst = max(worst, float(np.max(np.abs(a.reshape(b.shape) - b))))
    print(f"{name}: largest |ONNX - TFLite| = {worst:.2e}")
    if worst > TOLERANCE:
        raise SystemExit(f"{name}: converted model differs from the original by {worst}")


def check_segmentation(onnx_path, model, params):
    """The rewritten op against numpy, on the tensor that reaches it."""
    _, stride_w, stride_h = params
    g = model.graph
    conv = next(n for n in g.node if n.op_type == "ConvTranspose")
    probe = onnx.load(str(onnx_path))
    probe.graph.output.append(helper.make_tensor_value_info(conv.input[0], onnx.TensorProto.FLOAT, None))
    probe_path = Path(str(onnx_path) + ".probe")
    onnx.save(probe, str(probe_path))
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    w, b = inits[conv.input[1]], inits[conv.input[2]]  # (in, out, kh, kw)
    worst = 0.0
    for x in samples((1, 256, 256, 3)):
        mask, feature = onnx_outputs(probe_path, x)  # feature: NCHW
        n, c, h, wd = feature.shape
        out_c, kh, kw = w.shape[1], w.shape[2], w.shape[3]
        # Transpose convolution with stride == kernel: each input pixel paints one kh x kw block.
        ref = np.einsum("nchw,coij->nohiwj", feature, w).reshape(n, out_c, h * stride_h, wd * stride_w)
        ref = 0.5 * (1.0 + np.tanh(0.5 * (ref + b.reshape(1, out_c, 1, 1))))  # sigmoid
        worst = max(worst, float(np.max(np.abs(ref.transpose(0, 2, 3, 1) - mask))))
    probe_path.unlink()
    print(f"selfie_segmentation: largest |ONNX - numpy transpose conv| = {worst:.2e}")
    if worst > 1e-5:
        raise SystemExit(f"selfie_segmentation: rewritten op differs by {worst}")


def main():
    modules, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for name, rel in MODELS.items():
        tflite_path = modules / rel
        onnx_path = out / f"{name}.onnx"
        model_proto, _ = convert.from_tflite(str(tflite_path), opset=17)
        shape = [d.dim_value for d in model_proto.graph.input[0].type.tensor_type.shape.dim]
        if name == "selfie_segmentation":
            params = custom_op_params(tflite_path, "Convolution2DTransposeBias")
            rewrite_transpose_conv_bias(model_proto, params)
        rewritten = rewrite_prelu(model_proto)
        if rewritten:
            print(f"{name}: {rewritten} PRelu rewritten as Relu(x) - a*Relu(-x)")
        onnx.checker.check_model(model_proto)
        onnx.save(model_proto, str(onnx_path))
        if name == "selfie_segmentation":
            check_segmentation(onnx_path, model_proto, params)
        else:
            check_against_tflite(name, tflite_path, onnx_path, shape)
        print(f"{name}: input {shape} -> {onnx_path}")


if __name__ == "__main__":
    main()
