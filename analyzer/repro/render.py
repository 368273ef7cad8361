"""Render a captured post-grad FX graph (plain dicts) as a standalone torch function.

The point is a repro a PyTorch maintainer can read: public torch spellings where an aten op has
one (`x[i, j]`, `a <= b`, `torch.arange`), `torch.ops.*` where it has not. Symbolic sizes become
int parameters, so `torch.compile(dynamic=True)` sees the same distinct symbols the original
compile saw; that distinction is the whole trigger of the bug.
"""
from __future__ import annotations

import dataclasses
import keyword
from typing import Any

BINARY = {
    "aten.add.Tensor": "+",
    "aten.sub.Tensor": "-",
    "aten.mul.Tensor": "*",
    "aten.le.Tensor": "<=",
    "aten.lt.Tensor": "<",
    "aten.ge.Tensor": ">=",
    "aten.gt.Tensor": ">",
    "aten.eq.Tensor": "==",
    "aten.ne.Tensor": "!=",
    "aten.le.Scalar": "<=",
    "aten.lt.Scalar": "<",
    "aten.ge.Scalar": ">=",
    "aten.gt.Scalar": ">",
    "aten.eq.Scalar": "==",
    "aten.bitwise_and.Tensor": "&",
    "aten.bitwise_or.Tensor": "|",
    "aten.logical_and.default": "&",
    "_operator.add": "+",
    "_operator.sub": "-",
    "_operator.mul": "*",
    "_operator.floordiv": "//",
}
METHOD = {
    "aten.reshape.default": "reshape",
    "aten.view.default": "view",
    "aten.expand.default": "expand",
    "aten.unsqueeze.default": "unsqueeze",
    "aten.permute.default": "permute",
    "aten.clone.default": "clone",
}


class RenderError(ValueError):
    pass


@dataclasses.dataclass
class Input:
    """A parameter of the rendered function and the concrete value to call it with."""

    name: str
    kind: str  # "int" | "tensor"
    hint: Any  # int, or list of ints (shape)
    dtype: str | None = None


def _ident(name: str) -> str:
    return f"{name}_" if keyword.iskeyword(name) else name


def _expr(arg: Any) -> str:
    if isinstance(arg, dict):
        if "node" in arg:
            return _ident(arg["node"])
        if "repr" in arg:
            return arg["repr"]
        if "sym" in arg:
            raise RenderError(f"symbolic expression {arg['sym']} is not a graph value")
        raise RenderError(f"cannot render argument {arg}")
    if isinstance(arg, list):
        return "[" + ", ".join(_expr(a) for a in arg) + "]"
    if isinstance(arg, float) and (arg != arg or arg in (float("inf"), float("-inf"))):
        return f"float({str(arg)!r})"
    return repr(arg)


def _kwargs(kwargs: dict[str, Any], drop: tuple[str, ...] = ()) -> str:
    parts = [f"{k}={_expr(v)}" for k, v in kwargs.items() if k not in drop]
    return (", " + ", ".join(parts)) if parts else ""


def render_node(node: dict[str, Any]) -> str:
    """One statement for one call_function node."""
    target, args, kwargs = node["target"], node["args"], node.get("kwargs", {})
    out = _ident(node["name"])
    if target in BINARY and len(args) == 2:
        return f"{out} = {_expr(args[0])} {BINARY[target]} {_expr(args[1])}"
    if target in METHOD:
        rest = ", ".join(_expr(a) for a in args[1:])
        return f"{out} = {_expr(args[0])}.{METHOD[target]}({rest})"
    if target == "aten.index.Tensor":
        indices = ", ".join(":" if i is None else _expr(i) for i in args[1])
        return f"{out} = {_expr(args[0])}[{indices}]"
    if target == "prims.iota.default":
        start, step = kwargs.get("start", 0), kwargs.get("step", 1)
        dtype = _expr(kwargs.get("dtype", {"repr": "torch.int64"}))
        n = _expr(args[0])
        if start == 0 and step == 1:
            return f"{out} = torch.arange({n}, dtype={dtype})"
        return f"{out} = torch.arange({start}, {start} + {n} * {step}, {step}, dtype={dtype})"
    if target in ("aten.full.default", "aten.full_like.default"):
        fn = "torch.full" if target == "aten.full.default" else "torch.full_like"
        return f"{out} = {fn}({_expr(args[0])}, {_expr(args[1])}{_kwargs(kwargs, ('layout', 'device', 'pin_memory'))})"
    if target == "prims.convert_element_type.default":
        return f"{out} = {_expr(args[0])}.to({_expr(args[1])})"
    if target == "aten.constant_pad_nd.default":
        value = f", value={_expr(args[2])}" if len(args) > 2 else ""
        return f"{out} = torch.nn.functional.pad({_expr(args[0])}, {_expr(args[1])}{value})"
    if target.startswith("torch.") or target.startswith("_operator."):  # Python callables FX records by name
        fn = "operator." + target.split(".", 1)[1] if target.startswith("_operator.") else target
        return f"{out} = {fn}({', '.join(_expr(a) for a in args)}{_kwargs(kwargs)})"
    namespace, op, overload = (target.split(".") + ["default"])[:3]
    call_args = ", ".join([_expr(a) for a in args])
    return f"{out} = torch.ops.{namespace}.{op}.{overload}({call_args}{_kwargs(kwargs)})"


def render_function(nodes: list[dict[str, Any]], inputs: list[Input], outputs: list[str], name: str = "f") -> str:
    """A `def` computing `outputs` from `inputs` with the given nodes, in graph order."""
    params = ", ".join(_ident(i.name) for i in inputs)
    lines = [f"def {name}({params}):"]
    for node in nodes:
        lines.append("    " + render_node(node))
    rets = ", ".join(_ident(o) for o in outputs)
    lines.append(f"    return {rets}{',' if len(outputs) == 1 else ''}")
    return "\n".join(lines) + "\n"


def render_inputs(inputs: list[Input], name: str = "make_inputs") -> str:
    """Concrete arguments; tensor contents follow a fixed pattern so runs are repeatable."""
    lines = [f"def {name}():", "    g = torch.Generator().manual_seed(0)", "    return ("]
    for i in inputs:
        if i.kind == "int":
            lines.append(f"        {i.hint},  # {i.name}")
            continue
        shape = tuple(i.hint)
        dtype = i.dtype or "torch.float32"
        if dtype == "torch.bool":
            value = f"torch.rand({shape}, generator=g) > 0.3"
        elif "int" in dtype:
            value = f"torch.randint(0, 2, {shape}, generator=g, dtype={dtype})"
        else:
            value = f"torch.rand({shape}, generator=g, dtype={dtype})"
        lines.append(f"        {value},  # {i.name}")
    lines.append("    )")
    return "\n".join(lines) + "\n"
