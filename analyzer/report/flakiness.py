"""flakiness.md: why a test passes alone and fails among others, read from a run's `flakiness` record.

`asynctests` records, for each order its tests ran in, every call: compiled or served from the
cache, the guard whose failure made it recompile, the sizes that became symbolic, the result and
the kernel analysis of each compile. This module says what that means, in a few lines a
maintainer can paste into an issue: which orders fail and at which call, why that call
recompiled, which compile first emitted a lost definition, and the shortest sequence of calls
that fails. No timings and no paths: two runs that measured the same thing write the same file.
Reads JSON only; never imports torch.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from analyzer import artifacts, files
from analyzer.identity import LOST

FILE = "flakiness.md"

_SIZE_SOURCE = re.compile(r"^L\['(?P<arg>\w+)'\](?:\.size\(\)\[(?P<dim>\d+)\])?$")


def symbolic_sizes(dynamic: dict[str, str] | None) -> dict[str, str]:
    """The argument sizes and integers that became symbols ({source: symbol}); strides and the
    like follow from them and are left out."""
    return {src: sym for src, sym in (dynamic or {}).items() if _SIZE_SOURCE.match(src)}


def _value(source: str, shapes: dict[str, Any]) -> int | None:
    match = _SIZE_SOURCE.match(source)
    if not match:
        return None
    value = shapes.get(match["arg"])
    if match["dim"] is not None:
        return value[int(match["dim"])] if isinstance(value, list) and int(match["dim"]) < len(value) else None
    return value if isinstance(value, int) else None


def distinct_but_equal(dynamic: dict[str, str] | None, shapes: dict[str, Any]) -> list[tuple[list[str], int]]:
    """Sizes that are separate symbols although they are equal in this call, grouped by value: the
    compiler cannot relate them (the kv length and the attention mask's length: the bug's condition)."""
    by_value: dict[int, dict[str, list[str]]] = {}
    for src, sym in sorted(symbolic_sizes(dynamic).items()):
        value = _value(src, shapes)
        if value is not None:
            by_value.setdefault(value, {}).setdefault(sym, []).append(src)
    return [
        ([src for sources in syms.values() for src in sources], value)
        for value, syms in sorted(by_value.items())
        if len(syms) > 1
    ]


def _shapes_text(shapes: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in shapes.items())


def _step_tag(step: dict[str, Any]) -> str:
    how = "cache hit" if step["outcome"] == "cache-hit" else f"{step['outcome']} {step['compile_id']}"
    return f"{step['call']} ({how}) {'ok' if step['ok'] else 'FAIL'}"


def _recompile_text(step: dict[str, Any]) -> str:
    rec = step.get("recompile")
    if step["outcome"] == "cache-hit":
        return "is served by a cached compile"
    if not rec:
        return f"compiles {step['compile_id']}, the first compile of this order, with static shapes" if not symbolic_sizes(_dynamic(step)) else f"compiles {step['compile_id']}"
    where = f", installed at `{rec['where']}`" if rec.get("where") else ""
    against = f" of compile {rec['against']}" if rec.get("against") else ""
    return f"recompiles as {step['compile_id']} because guard `{rec['guard']}`{against} failed{where}"


def _dynamic(step: dict[str, Any]) -> dict[str, str] | None:
    compiles = step.get("compiles") or []
    return compiles[-1].get("dynamic") if compiles else None


def _dynamic_text(step: dict[str, Any]) -> str:
    sizes = symbolic_sizes(_dynamic(step))
    if step["outcome"] == "cache-hit":
        return ""
    if not sizes:
        return "" if not step.get("recompile") else " It compiled with static shapes."
    listed = ", ".join(f"`{src}` ({sym})" for src, sym in sizes.items())
    text = f" Automatic dynamic made {listed} symbolic"
    pairs = distinct_but_equal(_dynamic(step), step["shapes"])
    for sources, value in pairs:
        names = [f"`{src}`" for src in sources]
        listed = " and ".join(names) if len(names) == 2 else ", ".join(names[:-1]) + f" and {names[-1]}"
        text += f"; {listed} are {len(names)} distinct symbols although each is {value} in this call"
    return text + "."


def _findings_text(findings: list[dict[str, Any]]) -> str:
    by_kernel: dict[str, list[str]] = {}
    for f in findings:
        by_kernel.setdefault(f["kernel"], []).append(f"{f['kind']} of `{f['identifier']}` ({f.get('scope') or 'line ' + str(f.get('line'))})")
    return "; ".join(f"in `{k}`, " + ", ".join(items) for k, items in by_kernel.items())


def why_order_fails(order: dict[str, Any]) -> str:
    """One paragraph: the first failing call, why it recompiled, and which compile lost the definition."""
    steps = order["steps"]
    first = steps[order["first_failure"]]
    text = (
        f"`{order['name']}`: `{first['task']}` fails at its `{first['call']}` call ({_shapes_text(first['shapes'])}). "
        f"The call {_recompile_text(first)}.{_dynamic_text(first)}"
    )
    bad = order.get("first_bad_compile")
    if bad:
        text += f" Compile {bad['compile_id']} ({bad['task']}, {bad['call']}) is the first to emit a lost definition: {_findings_text(bad['findings'])}."
    if first.get("error"):
        text += f" Error: `{first['error']}`."
    later = [s for s in steps[order["first_failure"] + 1 :] if not s["ok"]]
    if later:
        text += " Later in this order: " + ", ".join(f"`{s['task']}` {_step_tag(s)}" for s in later) + "."
    return text


def _passing_recompiles(record: dict[str, Any]) -> list[str]:
    seen: set[tuple] = set()
    out = []
    for order in record["orders"]:
        for s in order["steps"]:
            if s["outcome"] != "recompiled" or not s["ok"]:
                continue
            sizes = symbolic_sizes(_dynamic(s))
            key = (s["task"], s["call"], (s["recompile"] or {}).get("guard"), tuple(sorted(sizes.items())))
            if key in seen:
                continue
            seen.add(key)
            made = ", ".join(f"`{src}`" for src in sizes) or "nothing"
            out.append(f"`{order['name']}`: `{s['task']}` {s['call']} {_recompile_text(s)}; symbolic: {made}; it passes.")
    return out


def shortest_failure(record: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The failing order whose first failure comes earliest, and its calls up to that failure."""
    failing = [o for o in record["orders"] if not o["passed"] and o["first_failure"] is not None]
    if not failing:
        return None
    order = min(failing, key=lambda o: o["first_failure"])  # min keeps the first of equals: the listed order
    return order, order["steps"][: order["first_failure"] + 1]


def _sequence_code(steps: list[dict[str, Any]]) -> list[str]:
    lines = [
        "torch._dynamo.reset()",
        "compiled = torch.compile(build)  # the default dynamic=None",
    ]
    for s in steps:
        sh = s["shapes"]
        batch, length = sh["attention_mask"]
        call = f"compiled(padded_mask({batch}, {length}, {s['pad']}), {sh['q_offset']}, {sh['q_length']}, {sh['kv_length']})"
        lines.append(f"{call}  # {s['task']}, {_step_tag(s)}")
    return lines


def render(record: dict[str, Any], versions: dict[str, Any], variant: str, repro_sequence: bool = False) -> str:
    """The flakiness section for one variant's record, as Markdown."""
    orders = record["orders"]
    alone = [o for o in orders if o["mode"] == "alone"]
    together = [o for o in orders if o["mode"] != "alone"]
    failing = [o for o in together if not o["passed"]]
    lines = [
        "### Why it fails only when tests run together" if failing or any(not o["passed"] for o in alone)
        else "### Async tests sharing one compiled function: every order passes here",
        "",
        f"torch {versions.get('torch', '?')}, transformers {versions.get('transformers', '?')}, variant `{variant}`: "
        f"{len(record['tests'])} async tests share one `torch.compile(build)` of transformers' `{record['builder']}` "
        "(default `dynamic=None`), as a test module shares a module-level compiled function. Each order starts "
        "from a fresh Dynamo state (`torch._dynamo.reset()`); within an order, Dynamo's cache and its "
        "automatic-dynamic state are shared by every test.",
        "",
        "| test | awaits before its first call | calls: attention mask, q_offset, q_length, kv_length (left padding) |",
        "|---|---|---|",
    ]
    for t in record["tests"]:
        calls = "; ".join(
            f"{c['call']}: {c['attention_mask']}, {c['q_offset']}, {c['q_length']}, {c['kv_length']} ({c['pad']})" for c in t["calls"]
        )
        lines.append(f"| `{t['name']}` | {t['setup_awaits']} | {calls} |")
    lines.append("")
    verdicts = "; ".join(f"`{o['tests'][0]}` alone {'passes' if o['passed'] else 'FAILS'}" for o in alone)
    lines.append(f"**Alone:** {verdicts}.")
    if failing:
        lines.append(f"**Together:** {len(failing)} of {len(together)} orders fail: " + ", ".join(f"`{o['name']}`" for o in failing) + ".")
        firsts = [(o["name"], o["steps"][o["first_failure"]]) for o in failing]
        if len({s["task"] for _, s in firsts}) > 1:
            lines.append("")
            text = "The first test to fail depends on the order: " + ", ".join(f"`{s['task']}` in `{n}`" for n, s in firsts) + "."
            if all(o["passed"] for o in alone) and all(s["outcome"] == "recompiled" for _, s in firsts):
                text += " No test is at fault by itself: in each order the failing call is one that recompiles the function the tests share."
            lines.append(text)
    else:
        lines.append(f"**Together:** all {len(together)} orders pass.")
    lines += ["", "| order | how | calls as they ran | failed tests |", "|---|---|---|---|"]
    how = {"alone": "alone", "sequential": "one after another", "concurrent": "`asyncio.gather`"}
    for o in orders:
        calls = " → ".join(_step_tag(s) for s in o["steps"])
        failed = ", ".join(f"`{t}`" for t, v in o["results"].items() if v != "passed") or "none"
        lines.append(f"| `{o['name']}` | {how.get(o['mode'], o['mode'])} | {calls} | {failed} |")
    lines.append("")
    if any(o["mode"] == "concurrent" for o in orders):
        lines += [
            "With `asyncio.gather` the compiled calls still run one at a time (they are synchronous); the "
            "order they run in is set by the awaits each test makes before its first call, not by the "
            "order the tests are listed in.",
            "",
        ]
    bad_alone = [o for o in alone if not o["passed"]]
    if failing or bad_alone:
        lines += ["#### Why", ""]
        lines += [f"- {why_order_fails(o)}" for o in bad_alone + failing]
        lines.append("")
    else:
        lost = sum(1 for o in orders for s in o["steps"] for c in s["compiles"] for f in c["findings"] if f["kind"] in LOST)
        late = sum(1 for o in orders for s in o["steps"] for c in s["compiles"] for f in c["findings"] if f["kind"] == "check-after-load")
        lines += [
            "#### Why nothing fails here",
            "",
            f"The tests still recompile the function they share (below), but no compiled kernel has a lost definition "
            f"({lost} found); the kernel analysis finds {late} bounds checks that run after the load they guard.",
            "",
        ]
    passed = _passing_recompiles(record)
    if passed:
        lines += ["Recompiles that pass:", ""] + [f"- {p}" for p in passed] + [""]
    lines += ["#### Reproduce deterministically", ""]
    shortest = shortest_failure(record)
    if shortest is None:
        lines.append("No order fails on this torch, so there is no failing sequence to give.")
    else:
        order, steps = shortest
        lines += [
            f"`{order['name']}` up to its first failure, one call after another in one process "
            "(`build` and `padded_mask` as in `repro_sequence.py`):",
            "",
            "```python",
            *_sequence_code(steps),
            "```",
        ]
        if repro_sequence:
            lines += [
                "",
                "`repro_sequence.py` in this folder runs a prefill then a decode call this way, and each call alone; "
                "it exits 1 while the second call fails.",
            ]
    return "\n".join(lines) + "\n"


def summarize(record: dict[str, Any]) -> dict[str, Any]:
    """What summary.json keeps of the record: the orders, which fail, and whether each test passes alone."""
    return {
        "orders": [o["name"] for o in record["orders"]],
        "failing": [o["name"] for o in record["orders"] if not o["passed"]],
        "alone_pass": all(o["passed"] for o in record["orders"] if o["mode"] == "alone"),
        "affected": bool(record.get("affected")),
    }


def write(run_dir: Path) -> dict[str, Any] | None:
    """Write `flakiness.md` into a run folder whose bundles hold a `flakiness` record; None when none does."""
    sections, summary = [], {}
    for bundle in artifacts.bundles(run_dir):
        data = artifacts.read_capture(bundle)
        record = data.get("flakiness")
        if not record:
            continue
        sections.append(render(record, data.get("versions", {}), data.get("variant", bundle.name), (run_dir / "repro_sequence.py").is_file()))
        summary[bundle.name] = summarize(record)
    if not sections:
        return None
    files.write_text(run_dir / FILE, "\n".join(sections))
    return {"file": FILE, "variants": summary}
