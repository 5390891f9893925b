"""CVR-Net inference benchmark: cvrnet (release build) against Keras/TensorFlow, ONNX Runtime
and OpenVINO (f32, and bf16 where the CPU has it) on the same weights, the same inputs and the
same machine.

Run it through tools/benchmark.sh (which installs the peers, builds cvrnet-benchmark and
cvrnet, then calls this file). Run by hand from the repository root:

    .venv/bin/python tools/benchmark.py [--runs 10] [--warmup 3] [--batch 1,8]
        [--engines cvrnet,cvrnet-bf16,tensorflow,onnxruntime,openvino,openvino-bf16] [--rounds 1]
        [--classify-runs 5]
        [--weights weights/reference-2class-keras231-weights.hdf5]
        [--bench-bin .build-bench/release/cvrnet-benchmark] [--cvrnet-bin .build-bench/release/cvrnet]
        [--results weights/benchmark-results.json]

What one run does, each engine in its own process (so its peak RSS is its own):
  1. inputs: the 4 sample PNGs below through Keras load_img + img_to_array, written as one
     N x 224 x 224 x 3 float32 file that every engine reads (the same floats everywhere);
  2. ONNX: the Keras model converted once with tf2onnx (cached next to the weights as
     <weights stem>.opset<N>.onnx, remade when the weights, tools/cvrnet_model.py, the
     opset, the tf2onnx version or CONVERSION_VERSION below change);
  3. each engine: load, warm-up calls, timed calls at every batch size (batches cycle through
     the 4 inputs), then the 4 inputs' probabilities, then its peak RSS (ru_maxrss / VmHWM);
  4. end to end: `cvrnet classify IMAGE` against a Python script doing the same with Keras
     (start python, import tf_keras, build + load the model, load_img, predict, print),
     wall time from process start to exit;
  5. agreement: max |difference| of the final probabilities of each engine vs Keras and its
     top class on every input (f32 engines within 1e-4; bf16 engines within 2e-2, the bf16
     fidelity target of the issue "Performance, round 2");
  6. targets: those of the issue "Performance" (vs Keras, ONNX Runtime, the classify script,
     peak RSS) and of "Performance, round 2" (fp32 <= 1.0 x ONNX Runtime and OpenVINO f32 at
     every batch size; cvrnet bf16 <= 1.0 x OpenVINO bf16, its peak RSS <= 1.0 x the weights
     file, its fidelity to Keras), each met / NOT met / not measured with the reason.
Prints the CPU's features (AVX-512, and the bf16 ones: avx512_bf16, amx_bf16, amx_tile),
which kernel path each cvrnet engine ran (fp32: the "kernels:" line of `cvrnet --version`;
bf16: the bf16Kernel cvrnet-benchmark reports, AMX-BF16 or AVX512_BF16), the tables, and writes
everything as JSON (--results).

bf16 needs a CPU with AVX512_BF16 or AMX-BF16, and neither engine emulates it where it is
missing: OpenVINO bf16 (engine openvino-bf16) is compiled with INFERENCE_PRECISION_HINT bf16,
which OpenVINO silently compiles as f32 on such a CPU, so the engine reads back the compiled
precision and, when it is not bf16, times nothing (the check is one compilation, about a
second); cvrnet bf16 (engine cvrnet-bf16, `cvrnet-benchmark --precision bf16`) refuses to load
with exit status 3. Either way the engine goes into report["unavailable"] and its rows,
agreement line and targets say "not available on this CPU" with the CPU's bf16 features: not
a failure of the run.

Internal modes (used by the orchestrator, each in a fresh process):
    --make-inputs OUT.f32 IMAGE...       Keras's input tensors of the images
    --convert --onnx OUT.onnx            tf2onnx conversion of the Keras model
    --engine tensorflow|onnxruntime|openvino|openvino-bf16 --inputs F.f32 --out R.json
    --keras-classify IMAGE               the Keras end-to-end script
"""

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from cvrnet_common import DEFAULT_WEIGHTS, GFLOP_PER_IMAGE, ROOT, TOOLS  # noqa: E402
SAMPLE_DIR = "Tests/Fixtures/sample-images"
# Four fixed sample images: RGB resized, gray exactly 224x224, palette, RGBA.
SAMPLE_IMAGES = ["png-rgb8-333x287.png", "png-gray8-224x224.png", "png-palette-240x250.png",
                 "png-rgba8-256x320.png"]
CLASSIFY_IMAGE = "png-rgb8-333x287.png"
IMAGE_SHAPE = (224, 224, 3)
DEFAULT_OPSET = 17
# Bump when mode_convert changes what it writes: cached ONNX files are then converted again.
CONVERSION_VERSION = "1"
TOLERANCE = 1e-4
# bf16 engines: max |p - Keras| at most this, and the same top class on every input (the issue
# "Performance, round 2": the same order as OpenVINO bf16's own difference).
BF16_TOLERANCE = 2e-2

# cvrnet in bf16 (engine "cvrnet-bf16"): the arguments of cvrnet-benchmark that select it. It
# gets its own table rows and agreement line (bound BF16_TOLERANCE), and the bf16 targets come
# from its results. On a CPU with neither AVX512_BF16 nor AMX-BF16 cvrnet-benchmark refuses
# with exit status CVRNET_PRECISION_UNAVAILABLE (its usage text documents it): the engine is
# then recorded in report["unavailable"], as OpenVINO bf16 is on such a CPU, not as a failure.
CVRNET_BF16_ARGS = ["--precision", "bf16"]
CVRNET_BF16 = "cvrnet-bf16"
CVRNET_PRECISION_UNAVAILABLE = 3

ENGINES = ("cvrnet", CVRNET_BF16, "tensorflow", "onnxruntime", "openvino", "openvino-bf16")
PEERS = ("tensorflow", "onnxruntime", "openvino", "openvino-bf16")
ONNX_ENGINES = ("onnxruntime", "openvino", "openvino-bf16")
BF16_ENGINES = (CVRNET_BF16, "openvino-bf16")
# Which cvrnet engine each engine's "ours / engine" ratio is taken with: bf16 peers are
# compared with cvrnet in bf16, every other engine with cvrnet (f32).
OURS_FOR = {CVRNET_BF16: CVRNET_BF16, "openvino-bf16": CVRNET_BF16}
TITLES = {"cvrnet": "cvrnet", CVRNET_BF16: "cvrnet bf16", "tensorflow": "Keras/TensorFlow",
          "onnxruntime": "ONNX Runtime", "openvino": "OpenVINO f32", "openvino-bf16": "OpenVINO bf16"}
# OpenVINO's INFERENCE_PRECISION_HINT of each OpenVINO engine.
OPENVINO_PRECISION = {"openvino": "f32", "openvino-bf16": "bf16"}
BF16_CPU_NEEDS = "needs AVX512_BF16 or AMX-BF16"
# The CPU flags (/proc/cpuinfo) that bf16 kernels use, printed present/absent.
BF16_CPU_FLAGS = ("avx512_bf16", "amx_bf16", "amx_tile")

# The issue "Performance": ours / peer at most this (per image, median).
TARGETS = {"tensorflow": 0.8, "onnxruntime": 0.7}
CLASSIFY_TARGET = 0.1
RSS_TARGET = 1.5  # x weights file size
# The issue "Performance, round 2": fp32 at most 1.0 x ONNX Runtime and OpenVINO f32 at every
# batch size; cvrnet bf16 at most 1.0 x OpenVINO bf16, peak RSS at most 1.0 x the weights file.
ROUND2_TARGETS = {"onnxruntime": 1.0, "openvino": 1.0}
ROUND2_BF16_TARGET = 1.0
ROUND2_BF16_RSS_TARGET = 1.0

_quiet_env = {"TF_CPP_MIN_LOG_LEVEL": "2"}


def cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        return os.cpu_count() or 1


def peak_rss_mib():
    """Peak resident set of this process: VmHWM, else ru_maxrss (KiB on Linux)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def loadavg():
    try:
        return [float(x) for x in open("/proc/loadavg").read().split()[:3]]
    except OSError:
        return None


def stats(values):
    import numpy as np
    a = np.asarray(values, dtype=np.float64)
    return {"median": float(np.median(a)), "min": float(a.min()), "max": float(a.max()),
            "p25": float(np.percentile(a, 25)), "p75": float(np.percentile(a, 75)),
            "mean": float(a.mean()), "samples": [float(v) for v in a]}


def read_inputs(path):
    import numpy as np
    x = np.fromfile(path, dtype="<f4")
    n = x.size // (224 * 224 * 3)
    assert n * 224 * 224 * 3 == x.size, "bad inputs file %s" % path
    return np.ascontiguousarray(x.reshape((n,) + IMAGE_SHAPE))


def model_spec(weights):
    """(classes, naming) of a CVR-Net weights file, from its layer names and the units of
    head 1's final Dense layer."""
    import h5py
    with h5py.File(weights, "r") as f:
        g = f["model_weights"] if "model_weights" in f else f
        names = [n.decode() if isinstance(n, bytes) else n for n in g.attrs["layer_names"]]
        naming = "keras231" if "concatenate_1" in names else "tfkeras"
        final = "dense_3" if naming == "keras231" else "dense_2"
        kernels = []
        g[final].visit(lambda k: kernels.append(k) if k.endswith("kernel:0") else None)
        classes = int(g[final][kernels[0]].shape[-1])
    return classes, naming


def build_keras(weights):
    sys.path.insert(0, TOOLS)
    import cvrnet_model as cm
    classes, naming = model_spec(weights)
    model = cm.build_cvrnet(classes, naming)
    model.load_weights(weights)
    return model, classes, naming


def time_calls(fn, x, warmup, runs):
    for _ in range(warmup):
        fn(x)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn(x)
        times.append(time.perf_counter() - t0)
    return times


def batch_of(inputs, b):
    import numpy as np
    idx = [i % len(inputs) for i in range(b)]
    return np.ascontiguousarray(inputs[idx])


# --------------------------------------------------------------------------------------------
# Worker modes (each runs in its own process)
# --------------------------------------------------------------------------------------------

def mode_make_inputs(out, images):
    import numpy as np
    sys.path.insert(0, TOOLS)
    import cvrnet_model as cm
    x = np.stack([cm.load_keras_input(p) for p in images]).astype("<f4")
    x.tofile(out)
    print(json.dumps({"images": images, "shape": list(x.shape)}))


def onnx_metadata(weights, opset):
    """What a cached ONNX file must record to be reused."""
    st = os.stat(weights)
    import tf2onnx
    return {"cvrnet_source_weights": os.path.abspath(weights),
            "cvrnet_source_size": str(st.st_size),
            "cvrnet_source_mtime_ns": str(st.st_mtime_ns),
            "cvrnet_opset": str(opset),
            "cvrnet_tf2onnx": tf2onnx.__version__,
            "cvrnet_conversion": CONVERSION_VERSION}


def mode_convert(weights, onnx_path, opset):
    """tf2onnx.convert.from_keras of the tf_keras model, dynamic batch, input 'input'.
    Skipped when the cached file's metadata matches and it is newer than the model code."""
    import onnx
    want = onnx_metadata(weights, opset)
    model_code = os.path.getmtime(os.path.join(TOOLS, "cvrnet_model.py"))
    if os.path.exists(onnx_path) and os.path.getmtime(onnx_path) > model_code:
        try:
            m = onnx.load(onnx_path, load_external_data=False)
            have = {p.key: p.value for p in m.metadata_props}
            if all(have.get(k) == v for k, v in want.items()):
                print(json.dumps({"onnx": onnx_path, "cached": True, "opset": opset}))
                return
        except Exception as e:  # corrupt or partial file: convert again
            print("cached ONNX unreadable (%s); converting again" % e, file=sys.stderr)
    os.environ.update(_quiet_env)
    import tensorflow as tf
    import tf2onnx
    t0 = time.perf_counter()
    model, _, _ = build_keras(weights)
    spec = (tf.TensorSpec((None,) + IMAGE_SHAPE, tf.float32, name="input"),)
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=opset)
    for k, v in want.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = k, v
    tmp = onnx_path + ".tmp"
    onnx.save(proto, tmp)
    os.replace(tmp, onnx_path)
    print(json.dumps({"onnx": onnx_path, "cached": False, "opset": opset,
                      "seconds": time.perf_counter() - t0}))


def mode_engine(a):
    import numpy as np
    n_cores = cores()
    inputs = read_inputs(a.inputs)
    result = {"engine": a.engine, "cores": n_cores, "loadavg_start": loadavg(),
              "gflop_per_image": GFLOP_PER_IMAGE}
    t0 = time.perf_counter()

    if a.engine == "tensorflow":
        os.environ.update(_quiet_env)
        import tensorflow as tf
        tf.config.threading.set_intra_op_parallelism_threads(n_cores)
        tf.config.threading.set_inter_op_parallelism_threads(n_cores)
        model, classes, naming = build_keras(a.weights)
        infer = tf.function(lambda t: model(t, training=False))
        import tf_keras
        result["version"] = "tensorflow %s, tf-keras %s" % (tf.__version__, tf_keras.__version__)
        result["settings"] = {"intra_op_threads": n_cores, "inter_op_threads": n_cores,
                              "call": "tf.function(model(x, training=False))", "xla": False}

        def prepare(x):
            return tf.constant(x)

        def run(x):
            return infer(x).numpy()

    elif a.engine == "onnxruntime":
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = n_cores
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(a.onnx, sess_options=so, providers=["CPUExecutionProvider"])
        name = sess.get_inputs()[0].name
        result["version"] = "onnxruntime %s" % ort.__version__
        result["settings"] = {"provider": sess.get_providers()[0], "intra_op_threads": n_cores,
                              "graph_optimization": "ORT_ENABLE_ALL", "execution_mode": "sequential"}

        def prepare(x):
            return x

        def run(x):
            return sess.run(None, {name: x})[0]

    elif a.engine in OPENVINO_PRECISION:
        import openvino as ov
        want = OPENVINO_PRECISION[a.engine]
        core = ov.Core()
        config = {"INFERENCE_PRECISION_HINT": want, "PERFORMANCE_HINT": "LATENCY",
                  "INFERENCE_NUM_THREADS": n_cores}
        # The ONNX file's dynamic batch dimension is kept (one compilation for every batch
        # size, as ONNX Runtime runs it). A static-shape f32 compilation is no faster at
        # batch 1 here, and OpenVINO 2026.3/2026.4 crash (SIGSEGV in compile_model) compiling
        # this model f32 with a static batch of 4 or 8 on an AMD EPYC (AVX2).
        compiled = core.compile_model(core.read_model(a.onnx), "CPU", config)
        got = precision_name(compiled.get_property("INFERENCE_PRECISION_HINT"))
        result["version"] = "openvino %s" % ov.get_version()
        result["settings"] = {
            "device": core.get_property("CPU", "FULL_DEVICE_NAME"),
            "requested_inference_precision": want,
            "inference_precision": got,
            "default_inference_precision": precision_name(core.get_property("CPU", "INFERENCE_PRECISION_HINT")),
            "optimization_capabilities": [str(c) for c in core.get_property("CPU", "OPTIMIZATION_CAPABILITIES")],
            "inference_num_threads": int(compiled.get_property("INFERENCE_NUM_THREADS")),
            "performance_hint": str(compiled.get_property("PERFORMANCE_HINT")),
            "num_streams": str(compiled.get_property("NUM_STREAMS")),
            "shapes": "dynamic batch (as converted)"}
        if got != want:
            if want == "f32":
                raise SystemExit("OpenVINO compiled with inference precision %s, not f32" % got)
            # OpenVINO's CPU plugin accepts the bf16 hint on every CPU and compiles f32 where
            # the CPU has neither AVX512_BF16 nor AMX-BF16: nothing to time as bf16 here.
            result["available"] = False
            result["compiled_precision"] = got
            result["load_ms"] = (time.perf_counter() - t0) * 1e3
            with open(a.out, "w") as f:
                json.dump(result, f, indent=1)
            return
        request = compiled.create_infer_request()

        def prepare(x):
            return x

        def run(x):
            request.infer({0: x})
            return request.get_output_tensor(0).data.copy()
    else:
        raise SystemExit("unknown engine %s" % a.engine)

    result["load_ms"] = (time.perf_counter() - t0) * 1e3
    first = prepare(inputs[:1])
    t1 = time.perf_counter()
    run(first)
    result["first_prediction_ms"] = (time.perf_counter() - t1) * 1e3

    result["batches"] = []
    for b in a.batch:
        x = prepare(batch_of(inputs, b))
        times = time_calls(run, x, a.warmup, a.runs)
        per_image = stats([t * 1e3 / b for t in times])
        result["batches"].append({
            "batch": b, "runs": a.runs, "warmup": a.warmup, "ms_per_image": per_image,
            "ms_per_batch": stats([t * 1e3 for t in times]),
            "gflops_median": GFLOP_PER_IMAGE / (per_image["median"] / 1e3)})

    xs = prepare(inputs)
    result["outputs"] = [[float(v) for v in row] for row in np.asarray(run(xs))]
    result["loadavg_end"] = loadavg()
    result["peak_rss_mib"] = peak_rss_mib()
    with open(a.out, "w") as f:
        json.dump(result, f, indent=1)


def precision_name(value):
    """OpenVINO's element type as its short name ("f32", "bf16"): INFERENCE_PRECISION_HINT
    comes back as an openvino.Type (str() gives "<Type: 'float32'>")."""
    name = value.get_type_name() if hasattr(value, "get_type_name") else str(value)
    return {"float32": "f32", "bfloat16": "bf16", "float16": "f16"}.get(name, name)


def mode_keras_classify(weights, image):
    """The Keras end-to-end script: what a user of the notebook would run for one image."""
    os.environ.update(_quiet_env)
    sys.path.insert(0, TOOLS)
    import cvrnet_model as cm  # imports tensorflow and tf_keras
    classes, naming = model_spec(weights)
    model = cm.build_cvrnet(classes, naming)
    model.load_weights(weights)
    x = cm.load_keras_input(image)[None]
    p = model.predict(x, verbose=0)[0]
    labels = {2: ["NCP", "NOR"], 3: ["CPN", "NCP", "NOR"], 4: ["CPB", "CPV", "NCP", "NOR"]}.get(
        classes, ["class%d" % i for i in range(classes)])
    top = int(p.argmax())
    print("%s\t%s\t%.6f\t%s" % (image, labels[top], p[top],
                                " ".join("%s=%.6f" % (l, v) for l, v in zip(labels, p))))


# --------------------------------------------------------------------------------------------
# Orchestrator
# --------------------------------------------------------------------------------------------

def run_child(cmd, env=None, timeout=3600):
    """Runs cmd to completion; returns (wall seconds, returncode, stdout, stderr, child's
    peak RSS in MiB from wait4). Output goes through files so wait4 can reap the child."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=ROOT)
        try:
            _, status, usage = os.wait4(p.pid, 0)
        except KeyboardInterrupt:
            p.kill()
            raise
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return (wall, p.returncode, out.read().decode(errors="replace"),
                err.read().decode(errors="replace"), usage.ru_maxrss / 1024.0)


def fail_text(name, rc, err):
    tail = "\n".join(err.strip().splitlines()[-15:])
    return "%s failed (exit %s):\n%s" % (name, rc, tail)


def source_state():
    """The commit the engine was built from, and Sources/ or Package.swift files changed
    since (the benchmark builds the working tree as it is)."""
    def git(*args):
        try:
            return subprocess.run(["git"] + list(args), cwd=ROOT, capture_output=True, text=True,
                                  timeout=30).stdout.rstrip("\n")
        except (OSError, subprocess.SubprocessError):
            return ""
    changed = [l[3:] for l in git("status", "--porcelain", "--", "Sources", "Package.swift").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD").strip() or None, "uncommitted_source_changes": changed}


def machine_info():
    info = {"cpu": None, "cores": cores(), "logical_cpus": os.cpu_count(), "memory_gib": None,
            "kernel": platform.release(), "python": platform.python_version()}
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        flags = set()
        for line in open("/proc/cpuinfo"):
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
        info["avx512"] = "avx512f" in flags
        info["amx"] = "amx_tile" in flags
        for flag in BF16_CPU_FLAGS:
            info[flag] = flag in flags
    except OSError:
        pass
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 1048576, 1)
    except OSError:
        pass
    info["env"] = {k: os.environ.get(k) for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                   "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    return info


def parse_probabilities(line):
    """The probabilities of one classify line, 'FILE<TAB>LABEL<TAB>P<TAB>A=p B=q ...'."""
    return [float(v) for v in re.findall(r"\S+=([0-9.eE+-]+)", line.split("\t", 3)[-1])]


def bf16_flags_text(machine):
    """The CPU's bf16 flags, e.g. "avx512_bf16 absent, amx_bf16 absent, amx_tile absent"."""
    return ", ".join("%s %s" % (f, "present" if machine.get(f) else "absent") for f in BF16_CPU_FLAGS)


def unavailable_reason(e, machine, compiled_precision=None):
    """Why bf16 engine e cannot run on this CPU, as its table row and targets say it:
    "not available on this CPU (...; CPU: <bf16 flags>)". OpenVINO's reason is the precision it
    compiled instead (compiled_precision); cvrnet's is its refusal to load."""
    why = BF16_CPU_NEEDS
    if compiled_precision is not None:
        why = "OpenVINO compiled %s; bf16 %s" % (compiled_precision, BF16_CPU_NEEDS)
    return "not available on this CPU (%s; CPU: %s)" % (why, bf16_flags_text(machine))


def unavailable_text(e, machine, compiled_precision=None):
    """The same with the engine's title: "cvrnet bf16: not available on this CPU (...)"."""
    return "%s: %s" % (TITLES[e], unavailable_reason(e, machine, compiled_precision))


def fp32_kernel_path(version_lines):
    """cvrnet's fp32 kernel path from `cvrnet --version` ("kernels: AVX2 + FMA (...)" gives
    "AVX2 + FMA"), or "?" when it did not run."""
    return next((l.split(":", 1)[1].split(" (")[0].strip() for l in version_lines
                 if l.startswith("kernels:")), "?")


def fmt_bound(x):
    """1e-4, 2e-2: a tolerance as the issues write it."""
    mantissa, exponent = ("%.0e" % x).split("e")
    return "%se%d" % (mantissa, int(exponent))


def fmt_range(s):
    return "%.1f-%.1f" % (s["min"], s["max"])


def run_engine(e, a, py, me, weights, inputs, onnx_path, common, work, errors, say):
    """One engine process; its results in the common form, or None (error recorded)."""
    load_before = loadavg()
    if e in ("cvrnet", CVRNET_BF16):
        cmd = [a.bench_bin, "--weights", weights, "--inputs", inputs, "--json"] + common
        if e == CVRNET_BF16:
            cmd += CVRNET_BF16_ARGS
        wall, rc, out, err, child_rss = run_child(cmd)
        if rc == CVRNET_PRECISION_UNAVAILABLE and e == CVRNET_BF16:
            # This CPU has neither AVX512_BF16 nor AMX-BF16: cvrnet-benchmark said so on stderr.
            lines = err.strip().splitlines()
            return {"engine": e, "available": False, "exit_status": rc, "message": lines[-1] if lines else "",
                    "check_ms": wall * 1e3}
        if rc != 0:
            errors[e] = fail_text("cvrnet-benchmark" + (" (bf16)" if e == CVRNET_BF16 else ""), rc, err)
            say(errors[e])
            return None
        r = json.loads(out)
        # The kernel path this engine ran: bf16 from the report, fp32 from `cvrnet --version`.
        kernel = r.get("bf16Kernel") if e == CVRNET_BF16 else None
        res = {"engine": e, "version": "cvrnet (release build%s)" % (
                   ", bf16 on %s" % kernel if e == CVRNET_BF16 else ""),
               "precision": r.get("precision"), "bf16_kernel": kernel,
               "load_ms": r["loadMs"],
               "first_prediction_ms": r["firstPredictionMs"], "peak_rss_mib": r["peakRssMiB"],
               "process_peak_rss_mib": child_rss, "outputs": [o["probabilities"] for o in r["outputs"]],
               "openblas": "%s (%s)" % (r["openblasCore"], r["openblasConfig"]),
               "sgemm": r.get("sgemm"), "sgemmOneThread": r.get("sgemmOneThread"),
               "cores": r["cores"], "batches": [
                   {"batch": b["batch"], "runs": b["runs"], "warmup": b["warmup"],
                    "ms_per_image": b["msPerImage"], "ms_per_batch": b["msPerBatch"],
                    "gflops_median": b["gflopsMedian"]} for b in r["batches"]]}
    else:
        rpath = os.path.join(work, e + ".json")
        cmd = [py, me, "--engine", e, "--weights", weights, "--inputs", inputs, "--onnx", onnx_path,
               "--out", rpath] + common
        wall, rc, out, err, child_rss = run_child(cmd)
        if rc != 0:
            errors[e] = fail_text(TITLES[e], rc, err)
            say(errors[e])
            return None
        with open(rpath) as f:
            res = json.load(f)
        res["process_peak_rss_mib"] = child_rss
        if res.get("available") is False:
            res["check_ms"] = res["load_ms"]
            return res
    res["process_wall_s"] = wall
    res["loadavg_before"] = load_before
    return res


def merge_rounds(results):
    """One engine's rounds as one result: timed samples pooled, peak RSS the largest, load
    time the median, the outputs of the first round (every round must give the same)."""
    if len(results) == 1:
        results[0]["rounds"] = 1
        return results[0]
    import numpy as np
    merged = dict(results[0])
    merged["rounds"] = len(results)
    merged["batches"] = []
    for i, first in enumerate(results[0]["batches"]):
        b = first["batch"]
        per_image = [v for r in results for v in r["batches"][i]["ms_per_image"]["samples"]]
        per_batch = [v for r in results for v in r["batches"][i]["ms_per_batch"]["samples"]]
        s = stats(per_image)
        merged["batches"].append({"batch": b, "runs": len(per_image), "warmup": first["warmup"],
                                  "ms_per_image": s, "ms_per_batch": stats(per_batch),
                                  "gflops_median": GFLOP_PER_IMAGE / (s["median"] / 1e3),
                                  "round_medians": [r["batches"][i]["ms_per_image"]["median"] for r in results]})
    for key in ("peak_rss_mib", "process_peak_rss_mib"):
        merged[key] = max(r[key] for r in results)
    merged["load_ms"] = float(np.median([r["load_ms"] for r in results]))
    merged["loadavg_before"] = [float(np.mean([r["loadavg_before"][0] for r in results if r["loadavg_before"]]))] \
        if all(r["loadavg_before"] for r in results) else None
    ref = np.asarray(results[0]["outputs"])
    merged["rounds_max_output_change"] = max(float(np.abs(np.asarray(r["outputs"]) - ref).max()) for r in results)
    if merged["engine"] == "cvrnet":
        best = max(results, key=lambda r: (r.get("sgemm") or {}).get("gflopsBest", 0))
        merged["sgemm"] = best.get("sgemm")
        merged["sgemmOneThread"] = max((r.get("sgemmOneThread") for r in results if r.get("sgemmOneThread")),
                                       key=lambda g: g["gflopsBest"], default=None)
    return merged


def orchestrate(a):
    py = sys.executable
    me = os.path.abspath(__file__)
    weights = a.weights
    if not os.path.exists(os.path.join(ROOT, weights)):
        raise SystemExit("no weights at %s: run tools/prepare.sh first" % weights)
    weights_bytes = os.path.getsize(os.path.join(ROOT, weights))
    engines = [e for e in a.engines.split(",") if e]
    for e in engines:
        if e not in ENGINES:
            raise SystemExit("unknown engine %r (have %s)" % (e, ", ".join(ENGINES)))
    batches = ",".join(str(b) for b in a.batch)
    info = machine_info()
    started = time.time()
    report = {"machine": info, "weights": weights, "weights_bytes": weights_bytes,
              "gflop_per_image": GFLOP_PER_IMAGE, "runs": a.runs, "warmup": a.warmup, "rounds": a.rounds,
              "batches": a.batch, "engines": {}, "errors": {}, "unavailable": {}, "loadavg_start": loadavg(),
              "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "source": source_state()}
    errors = report["errors"]
    unavailable = report["unavailable"]  # engine -> why it cannot run on this CPU (not an error)

    def say(*args):
        print(*args, flush=True)

    env_line = " ".join("%s=%s" % (k, v if v is not None else "(unset)") for k, v in info["env"].items())
    say("== CVR-Net inference benchmark")
    say("CPU: %s; %d cores available (%s logical CPUs); %.1f GiB memory; Linux %s; AVX-512 %s"
        % (info["cpu"], info["cores"], info["logical_cpus"], info["memory_gib"] or 0, info["kernel"],
           "yes" if info.get("avx512") else "no"))
    # Which of cvrnet's kernel paths this run measures (AVX-512, AVX2 or portable), the CPU
    # features that decide it, and the OpenBLAS core: what `cvrnet --version` reports.
    try:
        version = subprocess.run([a.cvrnet_bin, "--version"], capture_output=True, text=True,
                                 timeout=60).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        version = []
    report["cvrnet_version"] = version
    for line in version[1:]:
        say("cvrnet %s" % line)
    say("CPU bf16 features: %s (bf16, in cvrnet and OpenVINO alike, %s)" % (bf16_flags_text(info), BF16_CPU_NEEDS))
    say("env: %s" % env_line)
    la = report["loadavg_start"]
    say("load average at start: %s%s" % (" ".join("%.2f" % v for v in la) if la else "?",
                                         "  (the machine is busy: timings will be noisy)"
                                         if la and la[0] > 0.5 else ""))
    src = report["source"]
    say("source: commit %s%s" % (src["commit"], "; uncommitted changes in %s" % ", ".join(
        src["uncommitted_source_changes"]) if src["uncommitted_source_changes"] else ""))
    say("weights: %s (%.1f MiB); %d timed runs after %d warm-up, batch sizes %s; %s GFLOP per image"
        % (weights, weights_bytes / 1048576, a.runs, a.warmup, batches, GFLOP_PER_IMAGE))

    work = tempfile.mkdtemp(prefix="cvrnet-bench-")
    try:
        # 1. inputs
        images = [os.path.join(SAMPLE_DIR, n) for n in SAMPLE_IMAGES]
        inputs = os.path.join(work, "inputs.f32")
        say("\n-- inputs: %s (Keras load_img + img_to_array)" % ", ".join(SAMPLE_IMAGES))
        wall, rc, out, err, _ = run_child([py, me, "--make-inputs", inputs] + images)
        if rc != 0:
            raise SystemExit(fail_text("making the inputs", rc, err))
        report["inputs"] = SAMPLE_IMAGES

        # 2. ONNX
        onnx_path = a.onnx or os.path.splitext(weights)[0] + ".opset%d.onnx" % a.opset
        if any(e in engines for e in ONNX_ENGINES):
            say("-- ONNX: %s (tf2onnx from_keras, opset %d)" % (onnx_path, a.opset))
            wall, rc, out, err, _ = run_child([py, me, "--convert", "--weights", weights,
                                               "--onnx", onnx_path, "--opset", str(a.opset)])
            if rc != 0:
                errors["onnx"] = fail_text("tf2onnx conversion", rc, err)
                say(errors["onnx"])
                engines = [e for e in engines if e not in ONNX_ENGINES]
            else:
                conv = json.loads(out.strip().splitlines()[-1])
                report["onnx"] = conv
                say("   %s" % ("cached" if conv["cached"] else "converted in %.0f s" % conv["seconds"]))

        # 3. engines, round after round (rounds interleave the engines, so a change in the
        #    machine's load during the run hits all of them)
        common = ["--batch", batches, "--runs", str(a.runs), "--warmup", str(a.warmup)]
        per_engine = {e: [] for e in engines}
        for rnd in range(a.rounds):
            for e in engines:
                if e in errors or e in unavailable:
                    continue
                say("-- %s%s ..." % (TITLES[e], " (round %d of %d)" % (rnd + 1, a.rounds) if a.rounds > 1 else ""))
                res = run_engine(e, a, py, me, weights, inputs, onnx_path, common, work, errors, say)
                if res is not None and res.get("available") is False:
                    # What the engine said (OpenVINO: the precision it compiled, its settings;
                    # cvrnet: its exit status and one-line message), and the report's words.
                    unavailable[e] = {k: v for k, v in res.items() if k not in ("engine", "available", "load_ms")}
                    unavailable[e]["reason"] = unavailable_reason(e, info, res.get("compiled_precision"))
                    unavailable[e]["text"] = unavailable_text(e, info, res.get("compiled_precision"))
                    say("   " + unavailable[e]["text"])
                    if res.get("message"):
                        say("   (%s)" % res["message"])
                elif res is not None:
                    per_engine[e].append(res)
                    say("   %s: %s" % (res["version"], ", ".join(
                        "batch %d %.1f ms/image" % (b["batch"], b["ms_per_image"]["median"])
                        for b in res["batches"])))
        for e, results in per_engine.items():
            if results:
                report["engines"][e] = merge_rounds(results)

        # 4. end to end classify
        if a.classify_runs > 0:
            image = os.path.join(SAMPLE_DIR, CLASSIFY_IMAGE)
            report["classify"] = {"image": image, "runs": a.classify_runs}
            say("-- end to end: cvrnet classify vs the Keras script on %s (%d runs each after 1 warm-up)"
                % (image, a.classify_runs))
            runs = {
                "cvrnet": [a.cvrnet_bin, "classify", "--weights", weights, image],
                "keras": [py, me, "--keras-classify", image, "--weights", weights],
            }
            for name, cmd in runs.items():
                if name == "cvrnet" and not os.access(a.cvrnet_bin, os.X_OK):
                    errors["classify_cvrnet"] = "no cvrnet executable at %s" % a.cvrnet_bin
                    say(errors["classify_cvrnet"])
                    continue
                walls, rss, line = [], [], None
                for i in range(a.classify_runs + 1):
                    env = dict(os.environ, **_quiet_env) if name == "keras" else None
                    wall, rc, out, err, child_rss = run_child(cmd, env=env)
                    if rc != 0:
                        errors["classify_" + name] = fail_text(" ".join(cmd), rc, err)
                        say(errors["classify_" + name])
                        break
                    lines = [l for l in out.splitlines() if l.strip()]
                    line = lines[-1] if lines else ""
                    if i > 0:
                        walls.append(wall * 1e3)
                        rss.append(child_rss)
                else:
                    report["classify"][name] = {"command": " ".join(cmd), "wall_ms": stats(walls),
                                                "peak_rss_mib": max(rss), "output": line,
                                                "probabilities": parse_probabilities(line)}
                    say("   %s: %.0f ms median" % (name, report["classify"][name]["wall_ms"]["median"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report["loadavg_end"] = loadavg()
    report["seconds"] = time.time() - started
    summarize(report, a)
    if a.results:
        os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
        with open(a.results, "w") as f:
            json.dump(report, f, indent=1)
        print("\nresults written to %s" % a.results)
    return 1 if report.get("agreement_failed") or errors else 0


def summarize(report, a):
    eng = report["engines"]
    ours = eng.get("cvrnet")
    wmib = report["weights_bytes"] / 1048576
    lines = []
    p = lines.append
    summary = report.setdefault("summary", {})

    unavailable = report.get("unavailable", {})

    def per_image(e, b):
        for r in eng[e]["batches"]:
            if r["batch"] == b:
                return r["ms_per_image"]
        return None

    def ratio_of(ours_e, e, b):
        """ours_e's median ms/image over e's at batch b, or None when either did not run."""
        if ours_e not in eng or e not in eng:
            return None
        o, s = per_image(ours_e, b), per_image(e, b)
        return o["median"] / s["median"] if o and s else None

    def not_run(e):
        """Why engine e has no results."""
        if e in unavailable:
            return unavailable[e]["text"]
        if e in report["errors"]:
            return "%s failed" % TITLES[e]
        return "%s not run (not in --engines)" % TITLES[e]

    # Which of cvrnet's kernel paths each cvrnet engine ran (the issue asks the benchmark to say).
    fp32_path = fp32_kernel_path(report.get("cvrnet_version", []))
    paths = report["cvrnet_kernels"] = {}
    for e in ("cvrnet", CVRNET_BF16):
        if e in eng:
            paths[e] = fp32_path if e == "cvrnet" else eng[e].get("bf16_kernel") or "?"
        elif e in unavailable:
            paths[e] = None
    if paths:
        p("")
        p("cvrnet kernel paths: %s" % "; ".join(
            "%s: %s" % ("cvrnet fp32" if e == "cvrnet" else TITLES[e], k or unavailable[e]["reason"])
            for e, k in paths.items()))

    for b in report["batches"]:
        p("")
        p("Batch %d (ms per image; %d runs after %d warm-up%s)" % (
            b, report["runs"], report["warmup"],
            ", in each of %d rounds, pooled" % a.rounds if a.rounds > 1 else ""))
        p("| engine | median ms/image | min-max | IQR | ours / engine | GFLOP/s | peak RSS MiB | load |")
        p("|---|---:|---:|---:|---:|---:|---:|---:|")
        for e in ENGINES:
            if e in unavailable:
                p("| %s | %s | | | | | | |" % (TITLES[e], unavailable[e]["reason"]))
                continue
            if e not in eng:
                continue
            s = per_image(e, b)
            if s is None:
                continue
            ratio = ratio_of(OURS_FOR.get(e, "cvrnet"), e, b)
            summary.setdefault("ratio_batch%d" % b, {})[e] = ratio
            la = eng[e].get("loadavg_before")
            p("| %s | %.1f | %s | %.1f-%.1f | %s | %.1f | %.0f | %s |" % (
                TITLES[e], s["median"], fmt_range(s), s["p25"], s["p75"],
                "%.2f" % ratio if ratio is not None else "-", GFLOP_PER_IMAGE / (s["median"] / 1e3),
                eng[e]["peak_rss_mib"], "%.1f" % la[0] if la else "?"))
    p("")
    p("(ms per image = call time / batch size; ratio = cvrnet median / engine median, below 1 means "
      "cvrnet is faster; GFLOP/s at %.1f GFLOP per image, the direct-convolution count: cvrnet "
      "computes ResNet50's 3x3 convolutions on maps of 14x14 and larger with Winograd F(2x2,3x3), "
      "fewer multiply-adds, so its effective GFLOP/s can pass the sgemm peak; load = 1-minute load "
      "average when the engine started; bf16 engines' ratio is cvrnet bf16 median / engine median%s)"
      % (GFLOP_PER_IMAGE, "" if CVRNET_BF16 in eng else ", '-' while " + not_run(CVRNET_BF16)))
    if ours:
        p("")
        sg = ours.get("sgemm")
        for r in ours["batches"]:
            p("cvrnet batch %d: %.1f GFLOP/s (median; best run %.1f)%s" % (
                r["batch"], r["gflops_median"], GFLOP_PER_IMAGE / (r["ms_per_image"]["min"] / 1e3),
                "  = %.0f%% of the sgemm peak" % (100 * r["gflops_median"] / sg["gflopsBest"]) if sg else ""))
        if sg:
            p("machine sgemm peak (OpenBLAS cblas_sgemm %d^3, %d threads, best of %d): %.1f GFLOP/s (median %.1f)"
              % (sg["size"], sg["threads"], sg["runs"], sg["gflopsBest"], sg["gflopsMedian"]))
            summary["sgemm_peak_gflops"] = sg["gflopsBest"]
        one = ours.get("sgemmOneThread")
        if one:
            ceiling = one["gflopsBest"] * ours.get("cores", report["machine"]["cores"])
            p("  one thread: %.1f GFLOP/s, x %d cores = %.1f (idle-machine ceiling; cvrnet batch 1 at %.0f%% of it)"
              % (one["gflopsBest"], report["machine"]["cores"], ceiling,
                 100 * ours["batches"][0]["gflops_median"] / ceiling))
            summary["sgemm_one_thread_gflops"] = one["gflopsBest"]
        p("OpenBLAS: %s" % ours.get("openblas"))
        p("load: cvrnet %.0f ms%s" % (ours["load_ms"], "".join(
            ", %s %.0f ms" % (TITLES[e], eng[e]["load_ms"]) for e in PEERS if e in eng)))
        p("peak RSS: cvrnet %.0f MiB = %.2f x the weights file (%.0f MiB)%s" % (
            ours["peak_rss_mib"], ours["peak_rss_mib"] / wmib, wmib,
            "; cvrnet bf16 %.0f MiB = %.2f x" % (eng[CVRNET_BF16]["peak_rss_mib"],
                                                 eng[CVRNET_BF16]["peak_rss_mib"] / wmib)
            if CVRNET_BF16 in eng else ""))

    c = report.get("classify")
    if c:
        p("")
        p("End to end, one image (%s), process start to exit, %d runs after 1 warm-up:" % (c["image"], c["runs"]))
        for name, title in (("cvrnet", "cvrnet classify"), ("keras", "Keras script")):
            if name in c:
                s = c[name]["wall_ms"]
                p("  %-16s %8.0f ms median (%.0f-%.0f), peak RSS %.0f MiB" % (
                    title, s["median"], s["min"], s["max"], c[name]["peak_rss_mib"]))
        if "cvrnet" in c and "keras" in c:
            c["ratio"] = c["cvrnet"]["wall_ms"]["median"] / c["keras"]["wall_ms"]["median"]
            summary["classify_ratio"] = c["ratio"]
            p("  ratio cvrnet / Keras script: %.3f" % c["ratio"])

    # Agreement
    p("")
    ref = eng.get("tensorflow")
    agreement = {}
    failed = False
    if ref:
        import numpy as np
        r = np.asarray(ref["outputs"], dtype=np.float64)
        p("Agreement with Keras on %d inputs (%s): max |difference| of the final probabilities, "
          "top class; bound %s (f32), %s (bf16)"
          % (len(r), ", ".join(report.get("inputs", [])), fmt_bound(TOLERANCE), fmt_bound(BF16_TOLERANCE)))
        for e in ENGINES:
            if e == "tensorflow":
                continue
            if e not in eng:
                if e in unavailable:
                    p("  %-16s not measured: %s" % (TITLES[e], not_run(e)))
                continue
            bound = BF16_TOLERANCE if e in BF16_ENGINES else TOLERANCE
            o = np.asarray(eng[e]["outputs"], dtype=np.float64)
            if o.shape != r.shape:
                d, top = float("inf"), 0
            else:
                d = float(np.abs(o - r).max())
                top = int((o.argmax(1) == r.argmax(1)).sum())
            ok = d <= bound and top == len(r)
            agreement[e] = {"max_abs_diff": d, "tolerance": bound, "top_class_agree": top,
                            "inputs": len(r), "ok": ok}
            # A peer's bf16 rounding is its own: reported, it does not fail the run. Every f32
            # engine (a broken conversion or setup shows there) and cvrnet in bf16 must agree.
            if e != "openvino-bf16":
                failed |= not ok
            p("  %-16s %.2e  top class %d/%d  %s" % (TITLES[e], d, top, len(r),
                                                     "ok" if ok else "DIFFERS (bound %s)" % fmt_bound(bound)))
        if c and "cvrnet" in c and "keras" in c:
            d = float(np.abs(np.asarray(c["cvrnet"]["probabilities"]) - np.asarray(c["keras"]["probabilities"])).max()) \
                if len(c["cvrnet"]["probabilities"]) == len(c["keras"]["probabilities"]) else float("inf")
            # classify prints 6 decimals: allow their rounding on top of the tolerance
            ok = d <= TOLERANCE + 1e-6
            agreement["classify"] = {"max_abs_diff": d, "ok": ok}
            failed |= not ok
            p("  %-16s %.2e  %s (printed with 6 decimals)" % ("classify output", d,
                                                             "ok" if ok else "DIFFERS (> %.0e)" % TOLERANCE))
    else:
        p("Agreement: not checked (Keras/TensorFlow did not run)")
    report["agreement"] = agreement
    report["agreement_failed"] = failed

    # Targets: every target of both performance issues, met / NOT met / not measured (why).
    targets = report["targets"] = []

    def target(issue, name, value, limit, needs, shown=None, met=None, reason=None):
        """One target line; value None -> not measured, the reason from the engines in
        `needs` that have no results (or `reason`)."""
        if value is None:
            why = [reason] if reason else []
            why += [not_run(e) for e in needs if e not in eng]
            reason = "; ".join(dict.fromkeys(why)) or "not measured"
            met = None
        elif met is None:
            met = value <= limit
        targets.append({"issue": issue, "target": name, "value": value, "limit": limit,
                        "met": met, "reason": reason if value is None else None})
        p("  %-44s %7s  %s" % (name, "-" if value is None else (shown or "%.2f" % value),
                               "not measured: " + reason if value is None else ("met" if met else "NOT met")))

    p("")
    issue = "Performance"
    p("Targets (issue \"%s\"):" % issue)
    for b in report["batches"]:
        for e, limit in TARGETS.items():
            target(issue, "batch %d <= %.1f x %s" % (b, limit, TITLES[e]), ratio_of("cvrnet", e, b), limit,
                   ["cvrnet", e])
    target(issue, "classify end to end <= %.1f x Keras script" % CLASSIFY_TARGET, summary.get("classify_ratio"),
           CLASSIFY_TARGET, [], reason=None if "classify_ratio" in summary else
           ("--classify-runs 0" if a.classify_runs == 0 else "a classify command failed"))
    target(issue, "peak RSS <= %.1f x weights file" % RSS_TARGET, ours["peak_rss_mib"] / wmib if ours else None,
           RSS_TARGET, ["cvrnet"])

    issue = "Performance, round 2"
    p("")
    p("Targets (issue \"%s\") on %s, cvrnet kernels %s:" % (issue, report["machine"].get("cpu"), fp32_path))
    p("  fp32 (the default):")
    for b in report["batches"]:
        for e, limit in ROUND2_TARGETS.items():
            target(issue, "batch %d <= %.1f x %s" % (b, limit, TITLES[e]), ratio_of("cvrnet", e, b), limit,
                   ["cvrnet", e])
    p("  bf16 (opt-in; CPU: %s; cvrnet bf16 kernel %s):" % (
        bf16_flags_text(report["machine"]), paths.get(CVRNET_BF16) or "-"))
    for b in report["batches"]:
        target(issue, "cvrnet bf16 batch %d <= %.1f x OpenVINO bf16" % (b, ROUND2_BF16_TARGET),
               ratio_of(CVRNET_BF16, "openvino-bf16", b), ROUND2_BF16_TARGET, [CVRNET_BF16, "openvino-bf16"])
    bf16 = eng.get(CVRNET_BF16)
    target(issue, "cvrnet bf16 peak RSS <= %.1f x weights file" % ROUND2_BF16_RSS_TARGET,
           bf16["peak_rss_mib"] / wmib if bf16 else None, ROUND2_BF16_RSS_TARGET, [CVRNET_BF16])
    fidelity = agreement.get(CVRNET_BF16)
    target(issue, "cvrnet bf16 max |p - Keras| <= %s" % fmt_bound(BF16_TOLERANCE),
           fidelity["max_abs_diff"] if fidelity else None, BF16_TOLERANCE, [CVRNET_BF16, "tensorflow"],
           shown="%.1e" % fidelity["max_abs_diff"] if fidelity else None)
    target(issue, "cvrnet bf16 top class = Keras on every input",
           fidelity["top_class_agree"] if fidelity else None,
           fidelity["inputs"] if fidelity else len(report.get("inputs") or SAMPLE_IMAGES),
           [CVRNET_BF16, "tensorflow"],
           shown="%d/%d" % (fidelity["top_class_agree"], fidelity["inputs"]) if fidelity else None,
           met=fidelity["top_class_agree"] == fidelity["inputs"] if fidelity else None)
    if report["errors"]:
        p("")
        p("Did not run: %s" % ", ".join(sorted(report["errors"])))
    la0, la1 = report.get("loadavg_start"), report.get("loadavg_end")
    if la0 and la1:
        p("")
        p("load average: %.2f at start, %.2f at end (1 min); total %.0f s" % (la0[0], la1[0], report["seconds"]))
    print("\n".join(lines))
    report["text"] = "\n".join(lines)


def parse_batches(text):
    try:
        b = [int(x) for x in text.split(",") if x]
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated integers, e.g. 1,8")
    if not b or min(b) < 1:
        raise argparse.ArgumentTypeError("batch sizes must be positive")
    return b


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weights", default=DEFAULT_WEIGHTS)
    ap.add_argument("--batch", type=parse_batches, default=[1, 8], help="batch sizes (default 1,8)")
    ap.add_argument("--runs", type=int, default=10, help="timed calls per batch size (default 10)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed calls before them (default 3)")
    ap.add_argument("--engines", default=",".join(ENGINES), help="default: all of %s" % ",".join(ENGINES))
    ap.add_argument("--rounds", type=int, default=1,
                    help="run every engine this many times, interleaved, and pool the timings "
                         "(default 1; 2-3 on a busy machine)")
    ap.add_argument("--classify-runs", type=int, default=5,
                    help="timed end-to-end runs of each classify command (0 skips; default 5)")
    ap.add_argument("--opset", type=int, default=DEFAULT_OPSET)
    ap.add_argument("--onnx", help="ONNX file (default: <weights stem>.opset<N>.onnx next to the weights)")
    ap.add_argument("--bench-bin", default=".build-bench/release/cvrnet-benchmark")
    ap.add_argument("--cvrnet-bin", default=".build-bench/release/cvrnet")
    ap.add_argument("--results", default="weights/benchmark-results.json", help="JSON results ('' to skip)")
    # internal modes
    ap.add_argument("--engine", choices=PEERS, help=argparse.SUPPRESS)
    ap.add_argument("--inputs", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--make-inputs", nargs="+", metavar=("OUT", "IMAGE"), help=argparse.SUPPRESS)
    ap.add_argument("--convert", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--keras-classify", metavar="IMAGE", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.runs < 1 or a.warmup < 0 or a.rounds < 1:
        ap.error("--runs and --rounds must be >= 1 and --warmup >= 0")

    os.chdir(ROOT)
    if a.make_inputs:
        return mode_make_inputs(a.make_inputs[0], a.make_inputs[1:])
    if a.convert:
        return mode_convert(a.weights, a.onnx, a.opset)
    if a.keras_classify:
        return mode_keras_classify(a.weights, a.keras_classify)
    if a.engine:
        return mode_engine(a)
    return orchestrate(a)


if __name__ == "__main__":
    sys.exit(main())
