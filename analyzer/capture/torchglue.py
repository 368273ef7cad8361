"""The only module that touches torch internals.

Inductor's private APIs move between releases; keeping every use of them here means a new
torch release is supported (or not) by reading one file. Everything it records is turned into
plain dicts at once, so nothing downstream holds a torch object.
Supported: torch 2.8.0 through 2.14.x.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import torch
import torch.fx

_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)\n\s*(?P<text>[^\n]*)')


def parse_stack_trace(stack_trace: str | None) -> list[dict[str, Any]]:
    """FX keeps a node's user stack as a formatted string; frames are what the trace step needs."""
    if not stack_trace:
        return []
    return [
        {"file": m["file"], "line": int(m["line"]), "function": m["func"], "text": m["text"].strip()}
        for m in _FRAME.finditer(stack_trace)
    ]


def _target_name(target: Any) -> str:
    if isinstance(target, str):
        return target
    name = getattr(target, "__name__", None)
    if isinstance(target, torch._ops.OpOverload):
        return str(target)
    module = getattr(target, "__module__", None)
    if name and module and module not in ("builtins",):
        return f"{module}.{name}"
    return name or str(target)


def _hint(value: Any) -> int | None:
    """The concrete value a symbolic size had in the call being compiled."""
    if isinstance(value, int):
        return int(value)
    node = getattr(value, "node", None)
    hint = getattr(node, "hint", None)
    if hint is None and node is not None:
        try:
            hint = node.shape_env.size_hint(node.expr)
        except Exception:
            return None
    return int(hint) if hint is not None else None


def encode_arg(arg: Any) -> Any:
    """An FX argument as JSON: node references as {"node": name}, symbols as {"sym": ...},
    torch objects (dtype, device, layout) as {"repr": "torch.bool"}."""
    if isinstance(arg, torch.fx.Node):
        return {"node": arg.name}
    if isinstance(arg, (list, tuple)):
        return [encode_arg(a) for a in arg]
    if isinstance(arg, dict):
        return {str(k): encode_arg(v) for k, v in arg.items()}
    if arg is None or isinstance(arg, (bool, int, float, str)):
        return arg
    if isinstance(arg, (torch.SymInt, torch.SymFloat, torch.SymBool)):
        return {"sym": str(arg), "hint": _hint(arg)}
    if isinstance(arg, torch.device):
        return {"repr": f"torch.device({str(arg)!r})"}
    return {"repr": str(arg)}


def _example(val: Any) -> dict[str, Any] | None:
    if isinstance(val, torch.Tensor):
        return {
            "dtype": str(val.dtype),
            "shape": [str(s) for s in val.shape],
            "hint": [_hint(s) for s in val.shape],
            "stride_hint": [_hint(s) for s in val.stride()],
        }
    if isinstance(val, (torch.SymInt, int)) and not isinstance(val, bool):
        return {"sym": str(val), "hint": _hint(val)}
    return None


def _arg_text(arg: Any) -> str:
    mapped = torch.fx.node.map_arg(arg, lambda n: f"%{n.name}")
    return str(mapped)


def _provenance(node: torch.fx.Node) -> list[str]:
    """Names of the earlier-graph nodes this node was made from (torch >= 2.6 records `from_node`)."""
    names: list[str] = []
    stack = list(node.meta.get("from_node") or [])
    while stack:
        src = stack.pop(0)
        name = getattr(src, "name", None)
        if name:
            names.append(name)
        stack.extend(getattr(src, "from_node", None) or [])
    return names


def graph_to_dict(graph: torch.fx.Graph) -> dict[str, Any]:
    """Nodes as plain dicts; stack frames are shared in `frames` and nodes name them by index,
    because most nodes of a model repeat the same deep stacks."""
    nodes = []
    frames: list[dict[str, Any]] = []
    frame_ids: dict[tuple, int] = {}

    def intern(frame: dict[str, Any]) -> int:
        key = (frame["file"], frame["line"], frame["function"], frame["text"])
        if key not in frame_ids:
            frame_ids[key] = len(frames)
            frames.append(frame)
        return frame_ids[key]

    for node in graph.nodes:
        val = node.meta.get("val", node.meta.get("example_value"))
        shape = None
        if isinstance(val, torch.Tensor):
            shape = [str(s) for s in val.shape]
        source_fn = node.meta.get("source_fn_stack") or []
        nodes.append(
            {
                "name": node.name,
                "op": node.op,
                "target": _target_name(node.target),
                "args": [encode_arg(a) for a in node.args],
                "kwargs": {k: encode_arg(v) for k, v in node.kwargs.items()},
                "example": _example(val),
                "inputs": [n.name for n in node.all_input_nodes],
                "shape": shape,
                "stack": [intern(f) for f in parse_stack_trace(node.meta.get("stack_trace"))],
                "source_fn": [str(s[0]) for s in source_fn],
                "original_aten": str(node.meta["original_aten"]) if node.meta.get("original_aten") else None,
                "from_node": _provenance(node),
            }
        )
    return {"nodes": nodes, "frames": frames, "code": _graph_code(graph)}


def _graph_code(graph: torch.fx.Graph) -> str:
    try:
        return graph.python_code("self").src
    except Exception as exc:  # a graph that cannot print is still worth its nodes
        return f"# python_code failed: {exc}"


def _loop_body_to_dict(body: Any) -> dict[str, Any]:
    """A LoopBody is a tiny FX graph per block whose call_method nodes are the `ops.*` calls."""
    indexing = {name: str(expr) for name, expr in body.indexing_exprs.items()}
    blocks = [("body", body.root_block), *body.subblocks.items()]
    ops = []
    for block_name, block in blocks:
        for node in block.graph.nodes:
            if node.op not in ("call_method", "call_module"):
                continue
            args = [_arg_text(a) for a in node.args[1:]] if node.op == "call_method" else [_arg_text(a) for a in node.args]
            ops.append(
                {
                    "block": block_name,
                    "name": node.name,
                    "op": str(node.target),
                    "args": args,
                    "inputs": [n.name for n in node.all_input_nodes],
                }
            )
    return {
        "var_ranges": {str(k): str(v) for k, v in body.var_ranges.items()},
        "indexing_exprs": indexing,
        "ops": ops,
        "text": body.debug_str(),
    }


def _sched_node_to_dict(snode: Any) -> dict[str, Any]:
    ir_node = getattr(snode, "node", None)
    origins = sorted((n.name for n in getattr(ir_node, "origins", ()) or ()))
    body = getattr(snode, "_body", None)
    return {
        "name": snode.get_name(),
        "origins": origins,
        "loop_body": _loop_body_to_dict(body) if body is not None else None,
    }


def _kernel_source(src_code: str, kernel_name: str) -> str:
    """The C++ that reaches the compiler: Inductor fills its placeholders after define_kernel starts."""
    from torch._inductor.utils import Placeholder

    src = src_code.replace(str(Placeholder.KERNEL_NAME), "kernel")
    src = src.replace(str(Placeholder.DESCRIPTIVE_NAME), kernel_name)
    src = src.replace("#pragma CMT", "//")
    return src


def current_compile_id() -> str:
    cid = torch._guards.CompileContext.current_compile_id()
    return str(cid) if cid is not None else "?"


def _source_name(source: Any) -> str:
    name = source.name  # a method through 2.12, a property from 2.13
    return str(name() if callable(name) else name)


def dynamic_sources(example_inputs: list[Any]) -> dict[str, str]:
    """Which inputs this compile made symbolic, as {source: symbol}, e.g. {"L['kv_length']": "s34"}.

    Read from the shape environment the example inputs carry: two sources under one symbol were
    unified (duck sizing), two symbols stay distinct sizes the compiler cannot relate. A symbol
    that a guard later pinned to a constant is left out. Empty for a compile with static shapes."""
    shape_env = None
    for value in example_inputs:
        sizes = list(value.shape) if isinstance(value, torch.Tensor) else [value]
        shape_env = next((s.node.shape_env for s in sizes if isinstance(s, torch.SymInt)), None)
        if shape_env is not None:
            break
    if shape_env is None:
        return {}
    import sympy

    out: dict[str, str] = {}
    for symbol, sources in getattr(shape_env, "var_to_sources", {}).items():
        if isinstance(shape_env.replacements.get(symbol), sympy.Integer):
            continue
        for source in sources:
            out[_source_name(source)] = str(symbol)
    return dict(sorted(out.items()))


# "0/0: q_length == 8" (2.8); 2.13 pads the guard and appends "# <code>  # <file>:<line> in <function>"
_REASON = re.compile(r"^(?P<against>\d+/\d+):\s*(?P<guard>.*?)(?:\s+#\s*(?P<where>.*))?$")
_WHERE = re.compile(r"(?P<loc>[\w./-]+\.py:\d+ in [\w<>.]+)\s*$")


def parse_recompile_reason(text: str | None) -> dict[str, Any] | None:
    """Dynamo's recompile reason as {against, guard, where}: the cached compile whose guard failed,
    that guard, and (2.13 on) the source line that installed it. None for a first compile."""
    if not text or not text.strip():
        return None
    first = text.strip().splitlines()[0].rstrip()
    match = _REASON.match(first)
    if not match:
        return {"against": None, "guard": first, "where": None}
    where = match["where"]
    located = _WHERE.search(where) if where else None
    return {"against": match["against"], "guard": match["guard"].strip(), "where": located["loc"] if located else None}


def clear_compile_events() -> None:
    """Forget the compiles recorded so far, so `compile_events` starts again (call after `reset`)."""
    import torch._dynamo.utils as dynamo_utils

    clear = getattr(dynamo_utils, "clear_compilation_metrics", None)
    if clear is not None:
        clear()


def compile_events() -> list[dict[str, Any]]:
    """Every Dynamo compile since `clear_compile_events`, oldest first: its id, why it recompiled
    (the guard that failed) and the type of the exception it failed with, if it did.

    Read from Dynamo's compilation metrics, which torch 2.8 through 2.14 keep for every compile,
    failed or not, with no logging switched on (the `recompiles` log artifact says the same, but
    only after logging is reconfigured for the whole process). Only the first failed guard of the
    most recent cached compile is kept there; `dynamic_sources` of the new compile says which
    sizes became symbolic."""
    import torch._dynamo.utils as dynamo_utils

    get = getattr(dynamo_utils, "get_compilation_metrics", None)
    if get is None:
        return []
    out = []
    for metrics in get():
        fail_type = getattr(metrics, "fail_type", None)
        out.append(
            {
                "compile_id": str(getattr(metrics, "compile_id", None) or "?"),
                "recompile": parse_recompile_reason(getattr(metrics, "recompile_reason", None)),
                "fail_type": str(fail_type).rsplit(".", 1)[-1].strip("'>") if fail_type else None,
            }
        )
    return out


class Recorder:
    """Collects, per Dynamo compile, the graphs and kernels of each layer as plain dicts."""

    def __init__(self) -> None:
        self.compiles: dict[str, dict[str, Any]] = {}
        # Dynamo numbers compiles from 0/0 again after a reset; a workload that resets between runs
        # names each run here, and its compiles are keyed `<namespace>/<compile id>`.
        self.namespace: str | None = None
        # scenario-level records (e.g. `flakiness`) a scenario writes into capture.json beside its calls
        self.extra: dict[str, Any] = {}

    def key(self, compile_id: str) -> str:
        """The key of a Dynamo compile id in `compiles`, in the current namespace."""
        return f"{self.namespace}/{compile_id}" if self.namespace else compile_id

    def _entry(self) -> dict[str, Any]:
        cid = current_compile_id()
        fresh: dict[str, Any] = {"compile_id": self.key(cid), "dynamo_graph": None, "post_grad_graphs": [], "kernels": []}
        if self.namespace:
            fresh["dynamo_compile_id"] = cid
        return self.compiles.setdefault(self.key(cid), fresh)

    def begin(self, gm: torch.fx.GraphModule, example_inputs: list[Any]) -> dict[str, Any]:
        """Record the Dynamo graph of the compile now starting; its entry in `compiles`."""
        entry = self._entry()
        entry["dynamo_graph"] = graph_to_dict(gm.graph)
        entry["example_inputs"] = [
            [str(s) for s in t.shape] if isinstance(t, torch.Tensor) else str(t) for t in example_inputs
        ]
        entry["symbols"] = dynamic_sources(example_inputs)
        return entry

    def backend(self, gm: torch.fx.GraphModule, example_inputs: list[Any]) -> Any:
        from torch._inductor.compile_fx import compile_fx

        self.begin(gm, example_inputs)
        return compile_fx(gm, example_inputs)

    def on_post_grad(self, graph: torch.fx.Graph) -> None:
        self._entry()["post_grad_graphs"].append(graph_to_dict(graph))

    def on_kernel(self, kernel_name: str, src_code: str, nodes: list[Any]) -> None:
        self._entry()["kernels"].append(
            {
                "name": kernel_name,
                "source": _kernel_source(src_code, kernel_name),
                "nodes": [_sched_node_to_dict(n) for n in nodes],
            }
        )


def _post_grad_pass(recorder: Recorder) -> Any:
    from torch._inductor.custom_graph_pass import CustomGraphPass

    class RecordPostGrad(CustomGraphPass):
        def __call__(self, graph: torch.fx.Graph) -> None:
            recorder.on_post_grad(graph)

        def uuid(self) -> Any:
            return None  # never cache: a cache hit would skip the compile we are here to watch

    return RecordPostGrad()


@contextlib.contextmanager
def recording(recorder: Recorder) -> Iterator[Recorder]:
    """Install the hooks for the duration of a capture, and restore torch exactly afterwards."""
    import torch._inductor.config as inductor_config
    from torch._inductor.codegen.cpp import CppScheduling

    original_define = CppScheduling.define_kernel

    def define_kernel(self: Any, src_code: str, nodes: list[Any], *args: Any, **kwargs: Any) -> Any:
        name = original_define(self, src_code, nodes, *args, **kwargs)
        try:
            recorder.on_kernel(name, src_code, list(nodes))
        except Exception as exc:  # recording must never change what the compiler does
            recorder._entry().setdefault("record_errors", []).append(repr(exc))
        return name

    old_pass = inductor_config.post_grad_custom_post_pass
    CppScheduling.define_kernel = define_kernel
    inductor_config.post_grad_custom_post_pass = _post_grad_pass(recorder)
    try:
        yield recorder
    finally:
        CppScheduling.define_kernel = original_define
        inductor_config.post_grad_custom_post_pass = old_pass


def intercept_inductor(around: Any) -> None:
    """Route every Inductor compile of this process through `around(compile_fx, gm, example_inputs,
    *args, **kwargs)`, for the rest of the process. Dynamo's `inductor` backend (and
    `torch.compile`'s `mode` and `options`, which it turns into config patches) looks
    `compile_fx` up at each compile, so every compile passes here. Inductor calls `compile_fx`
    again from inside itself; only the outermost call goes through `around`."""
    import threading

    import torch._inductor.compile_fx as compile_fx_module

    original = compile_fx_module.compile_fx
    inside = threading.local()

    def compile_fx(gm: Any, example_inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(inside, "active", False):
            return original(gm, example_inputs, *args, **kwargs)
        inside.active = True
        try:
            return around(original, gm, example_inputs, *args, **kwargs)
        finally:
            inside.active = False

    compile_fx_module.compile_fx = compile_fx


@contextlib.contextmanager
def codegen_only(sources: list[str]) -> Iterator[list[str]]:
    """Compile up to the generated C++ and stop there: every kernel's source is appended to
    `sources` and replaced by a no-op, so no C++ compiler runs. Results computed this way are
    garbage; only the sources are meant to be read."""
    from torch._inductor.async_compile import AsyncCompile

    original = AsyncCompile.cpp_pybinding

    def cpp_pybinding(self: Any, argtypes: list[str], source_code: str) -> Any:
        sources.append(source_code)
        return lambda *args: None

    AsyncCompile.cpp_pybinding = cpp_pybinding
    try:
        yield sources
    finally:
        AsyncCompile.cpp_pybinding = original


def set_recompile_limit(limit: int) -> None:
    """Past the limit Dynamo runs the function eagerly, which would hide a compile failure."""
    import torch._dynamo.config as dynamo_config

    dynamo_config.recompile_limit = limit
    dynamo_config.accumulated_recompile_limit = max(limit * 4, dynamo_config.accumulated_recompile_limit)


def reset() -> None:
    """A fresh Dynamo state: its caches and its automatic-dynamic memory of earlier calls."""
    torch._dynamo.reset()


def inductor_options(**options: Any) -> Any:
    """A context in which Inductor's config holds `options` (`torch._inductor.config.patch`)."""
    import torch._inductor.config as inductor_config

    return inductor_config.patch(**options)


def dynamo_options(**options: Any) -> Any:
    """A context in which Dynamo's config holds `options` (`torch._dynamo.config.patch`)."""
    import torch._dynamo.config as dynamo_config

    return dynamo_config.patch(**options)


def minifier_inputs(namespace: dict[str, Any]) -> tuple[Any, list[Any]]:
    """The graph module and inputs of a minifier launcher (`minifier_launcher.py`, executed into
    `namespace`), made as the launcher's own `minify` mode makes them, with symbolic tracing."""
    import argparse

    from torch._dynamo.repro.after_aot import repro_common

    options = argparse.Namespace(save_dir=None, tracing_mode="symbolic")
    return repro_common(options, namespace["mod"], namespace["load_args"])


def fx_minify(module: Any, inputs: list[Any], fails: Any) -> Any:
    """PyTorch's FX minifier (`functorch.compile.minifier`) judged by `fails`, without its state dumps."""
    from functorch.compile import minifier

    return minifier(module, inputs, module_fails=fails, dump_state=lambda *a, **k: None)


def check_bounds_source() -> str:
    """The source of the installed `CppKernel.check_bounds`: whether a release holds the fix for
    the lost bounds-check definition is read from this code, not from its version number."""
    import inspect

    from torch._inductor.codegen.cpp import CppKernel

    return inspect.getsource(CppKernel.check_bounds)


def compiler_version() -> str:
    """The C++ compiler Inductor will call, as it reports itself."""
    import subprocess

    try:
        from torch._inductor.cpp_builder import get_cpp_compiler

        cxx = get_cpp_compiler()
    except Exception:
        cxx = "g++"
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30).stdout
        return out.splitlines()[0] if out else cxx
    except (OSError, subprocess.TimeoutExpired):
        return f"{cxx} (not found)"


def vec_isa() -> str:
    """The vector instruction set Inductor generates CPU kernels for on this machine ("avx2",
    "avx512 avx512_vnni", ...): a captured kernel is checked later with the same ISA's macros."""
    from torch._inductor.cpu_vec_isa import pick_vec_isa

    return str(pick_vec_isa())


VEC_ISA_OK_ENV = "TORCHINDUCTOR_VEC_ISA_OK"


def trust_vec_isa() -> dict[str, str]:
    """Probe the vector ISA once in this process, then skip Inductor's probe in this process and
    in children given the returned environment ({} when the shortcut does not hold).

    The probe compiles a test program per ISA and imports torch in a fresh interpreter to load
    it: about 4 s, paid again by every fresh process that compiles. With the probe trusted,
    Inductor takes the CPU's flags at their word; that is only done when its pick is the probed
    one, so every trusting process generates the kernels a probing one would."""
    import torch._inductor.config as inductor_config
    from torch._inductor import cpu_vec_isa

    if inductor_config.cpp.vec_isa_ok is not None:  # the user decided
        return {}
    probed = vec_isa()
    inductor_config.cpp.vec_isa_ok = True
    cpu_vec_isa.valid_vec_isa_list.cache_clear()
    if str(cpu_vec_isa.pick_vec_isa()) == probed:
        return {VEC_ISA_OK_ENV: "1"}
    inductor_config.cpp.vec_isa_ok = None  # the flags claim more than the compiler builds: probe as usual
    cpu_vec_isa.valid_vec_isa_list.cache_clear()
    return {}


def kernel_compile_flags(isa: str | None = None) -> tuple[str, list[str]]:
    """The C++ compiler and the preprocessor and language flags Inductor compiles a CPU kernel with,
    for the installed torch and the named ISA (default: what Inductor picks here).

    Taken from Inductor's own command line, so a kernel checked standalone sees the same headers,
    macros and language standard it saw when it was captured; optimization, output and link flags
    are dropped, since a syntax check needs none of them."""
    import shlex

    from torch._inductor import cpu_vec_isa
    from torch._inductor.cpp_builder import CppBuilder, CppTorchDeviceOptions, get_cpp_compiler

    picked = cpu_vec_isa.pick_vec_isa()
    if isa is not None and str(picked) != isa:
        picked = next((v for v in cpu_vec_isa.supported_vec_isa_list if str(v) == isa), picked)
    options = CppTorchDeviceOptions(vec_isa=picked, device_type="cpu", compile_only=True)
    command = shlex.split(CppBuilder(name="kernel", sources="kernel.cpp", BuildOption=options, output_dir=".").get_command_line())
    flags: list[str] = []
    tokens = iter(command[1:])
    for token in tokens:
        if token == "-D":
            flags.append("-D" + next(tokens).strip())
        elif token.startswith(("-D", "-I", "-std=", "-m", "-fopenmp")) and token != "-march=native":
            flags.append(token)
    return get_cpp_compiler(), flags
