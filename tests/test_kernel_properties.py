"""Property test: on generated Inductor-shaped kernels the analysis finds every planted defect and nothing else.

The generator writes what Inductor's C++ backend writes: an optional outer loop (with its OpenMP
pragma) around an inner loop whose vectorized body and scalar tail each have their own
statements, loads through pointers and subscripts, masked loads and gathers in lambdas (with
`#pragma GCC unroll` and `__at_align__` inside), reductions with accumulators declared outside
the inner loop, and `TORCH_CHECK` bounds checks. Into that it plants each lost-definition kind
(a check before its variable's declaration, a use of a name declared nowhere, a use of a name
declared only in the other body or inside a lambda, an accumulator declared after its loop or
not at all) and each check either before the loads of its index or after one of them.

`ANALYZER_FUZZ_EXAMPLES` sets how many kernels (1000 by default); the test fails if fewer ran.
`ANALYZER_FUZZ_RANDOM=1` draws new kernels each run (`nox -s fuzz`); otherwise the draw is
derandomized, so the test suite is the same on every run.
"""
from __future__ import annotations

import collections
import dataclasses
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer.analysis import kernel

EXAMPLES = int(os.environ.get("ANALYZER_FUZZ_EXAMPLES", "1000"))
RANDOM = os.environ.get("ANALYZER_FUZZ_RANDOM") == "1"


@dataclasses.dataclass
class Stmt:
    lines: list[str]
    role: str  # index | load | value | lambda | check | store | accumulate | planted
    name: str | None = None  # the variable a declaration declares, or a check checks
    planted: tuple[str, str] | None = None  # (kind, identifier) of a planted lost definition on its first line
    uses_accumulator: bool = False
    inner: str | None = None  # a lambda's own variable


@dataclasses.dataclass
class Body:
    vector: bool
    index: str  # the loop variable the body indexes with: x1 or x1_tail
    stmts: list[Stmt]

    def declared(self, role: str | None = None) -> list[str]:
        return [s.name for s in self.stmts if s.name and s.role != "check" and (role is None or s.role == role)]


@dataclasses.dataclass
class Kernel:
    outer: bool
    reduction: str | None  # None, "ok", "after" (declared after its loop) or "missing"
    vector: Body
    tail: Body
    features: set[str]


def _load(vector: bool, index: str, outer: bool) -> str:
    offset = f"{index} + ks0*x0" if outer else index
    if vector:
        return f"at::vec::Vectorized<float>::loadu(in_ptr0 + static_cast<int64_t>({offset}), static_cast<int64_t>(16))"
    return f"in_ptr0[static_cast<int64_t>({offset})]"


def _check(vector: bool, name: str) -> str:
    if vector:
        return f'TORCH_CHECK((at::vec::VecMask<int64_t,2>({name} < at::vec::VectorizedN<int64_t,2>(ks1))).all_masked(), "index out of bounds: {name} < ks1");'
    return f'TORCH_CHECK({name} < ks1, "index out of bounds: {name} < ks1");'


def _lambda(vector: bool, name: str, inner: str, index: str) -> list[str]:
    if vector:  # a gather into a buffer, as Inductor writes a non-contiguous vector load
        return [
            f"auto {name} =",
            "[&]",
            "{",
            "    __at_align__ std::array<float, 16> tmpbuf;",
            "    #pragma GCC unroll 16",
            "    for (long x1_inner = 0; x1_inner < static_cast<int64_t>(16); x1_inner++)",
            "    {",
            f"        tmpbuf[x1_inner] = in_ptr1[static_cast<int64_t>((static_cast<int64_t>({index} + x1_inner) % static_cast<int64_t>(8L)))];",
            "    }",
            f"    auto {inner} = at::vec::Vectorized<float>::loadu(tmpbuf.data(), static_cast<int64_t>(16));",
            f"    return {inner};",
            "}",
            "()",
            ";",
        ]
    return [  # a masked load: the lambda runs only where the mask is set
        f"auto {name} = [&]",
        "{",
        f"    auto {inner} = in_ptr1[static_cast<int64_t>({index})];",
        f"    return {inner};",
        "}",
        ";",
    ]


@st.composite
def bodies(draw, vector: bool, outer: bool, reduction: bool) -> Body:
    """One loop body. Names are per body, as Inductor's per-kernel CSE makes them: both bodies have a tmp0."""
    index = "x1" if vector else "x1_tail"
    body = Body(vector, index, [])
    n = draw(st.integers(min_value=1, max_value=8))
    for k in range(n):
        name = f"tmp{k}"
        values = body.declared("index") + body.declared("load") + body.declared("value")
        kind = draw(st.sampled_from(["index", "load", "value", "lambda"] if values else ["index", "load"]))
        if kind == "index":
            expr = f"at::vec::VectorizedN<int64_t,2>::arange({index}, 1)" if vector else f"c10::convert<int64_t>({index})"
            body.stmts.append(Stmt([f"auto {name} = {expr};"], "index", name))
        elif kind == "load":
            body.stmts.append(Stmt([f"auto {name} = {_load(vector, index, outer)};"], "load", name))
        elif kind == "value":
            a, b = draw(st.sampled_from(values)), draw(st.sampled_from(values))
            expr = f"{a} + {b}" if vector else f"decltype({a})({a} + {b})"
            body.stmts.append(Stmt([f"auto {name} = {expr};"], "value", name))
        else:
            inner = f"tmp{100 + k}"
            body.stmts.append(Stmt(_lambda(vector, name, inner, index), "lambda", name, inner=inner))
            mask = draw(st.sampled_from(values))
            use = f"{name}()" if not vector else name
            select = f"{mask} ? {use} : static_cast<decltype({use})>(0.0)" if not vector else f"{use} + {mask}"
            body.stmts.append(Stmt([f"auto tmp{50 + k} = {select};"], "value", f"tmp{50 + k}"))
        if body.declared("index") and draw(st.integers(0, 3)) == 0:  # a bounds check on an index variable
            checked = draw(st.sampled_from(body.declared("index")))
            body.stmts.append(Stmt([_check(vector, checked)], "check", checked))
    values = body.declared("index") + body.declared("load") + body.declared("value")
    if reduction:
        acc = "tmp_acc0_vec" if vector else "tmp_acc0"
        body.stmts.append(Stmt([f"{acc} = {acc} + {draw(st.sampled_from(values))};"], "accumulate", uses_accumulator=True))
    else:
        body.stmts.append(Stmt([f"out_ptr0[static_cast<int64_t>({index})] = {draw(st.sampled_from(values))};"], "store"))
    return body


PLANTS = ["forward-reference", "undeclared", "out-of-scope", "lambda-local"]


@st.composite
def kernels(draw) -> Kernel:
    outer = draw(st.booleans())
    reduction = draw(st.sampled_from([None, "ok", "after", "missing"]))
    vector = draw(bodies(True, outer, reduction is not None))
    tail = draw(bodies(False, outer, reduction is not None))
    features = {"nested" if outer else "flat", f"reduction-{reduction}"}
    for number, plant in enumerate(draw(st.lists(st.sampled_from(PLANTS), max_size=4))):
        body = tail if draw(st.booleans()) else vector
        other = vector if body is tail else tail
        at = draw(st.integers(0, len(body.stmts) - 1))  # before the body's last statement at most
        if plant == "forward-reference":
            j = draw(st.sampled_from([i for i, s in enumerate(body.stmts) if s.role in ("index", "load", "value", "lambda")]))
            name = body.stmts[j].name
            body.stmts.insert(j, Stmt([_check(body.vector, name)], "planted", name, ("forward-reference", name)))
        elif plant == "undeclared":
            name = f"tmp{900 + number}"
            body.stmts.insert(at, Stmt([f"auto tmp_u{number} = {name} + 1;"], "planted", None, ("undeclared", name)))
        elif plant == "out-of-scope":
            theirs = [n for n in other.declared() if n not in body.declared()]
            if not theirs:
                continue
            name = draw(st.sampled_from(theirs))
            body.stmts.insert(at, Stmt([f"auto tmp_s{number} = {name} * 2;"], "planted", None, ("out-of-scope", name)))
        else:  # a lambda's own variable, used after the lambda
            lambdas = [i for i, s in enumerate(body.stmts) if s.role == "lambda"]
            if not lambdas:
                continue
            i = draw(st.sampled_from(lambdas))
            name = body.stmts[i].inner
            body.stmts.insert(i + 1, Stmt([f"auto tmp_l{number} = {name};"], "planted", None, ("out-of-scope", name)))
        features.add(f"plant-{plant}")
    return Kernel(outer, reduction, vector, tail, features)


def expected_late_checks(body: Body) -> list[int]:
    """Indexes of the checks that run after a load of their index no earlier check guards: every
    load reads the loop variable, so the loads before the body's first check are unguarded, and
    every check after one of them is late."""
    first_check = next((i for i, s in enumerate(body.stmts) if s.role == "check"), len(body.stmts))
    unguarded = [i for i, s in enumerate(body.stmts[:first_check]) if s.role == "load"]
    return [i for i, s in enumerate(body.stmts) if s.role == "check" and unguarded and i > unguarded[0]]


def render(k: Kernel) -> tuple[str, set[tuple[str, str, int]]]:
    """The kernel's text and every finding the analysis must report: (kind, identifier, line)."""
    lines = [
        "#include <torch/csrc/inductor/cpp_prefix.h>",
        'extern "C"  void kernel(const float* in_ptr0, const float* in_ptr1, float* out_ptr0, const int64_t ks0, const int64_t ks1)',
        "{",
    ]
    expected: set[tuple[str, str, int]] = set()
    depth = 1
    acc_lines: list[int] = []

    def put(text: str) -> int:
        lines.append("    " * depth + text)
        return len(lines)

    def accumulators() -> None:
        put("float tmp_acc0 = 0;")
        put("at::vec::Vectorized<float> tmp_acc0_vec = at::vec::Vectorized<float>(0);")

    def emit(body: Body) -> None:
        late = expected_late_checks(body)
        for i, stmt in enumerate(body.stmts):
            first = put(stmt.lines[0])
            for more in stmt.lines[1:]:
                put(more)
            if stmt.planted:
                expected.add((stmt.planted[0], stmt.planted[1], first))
            if i in late:
                expected.add(("check-after-load", stmt.name, first))
            if stmt.uses_accumulator:
                acc_lines.append(first)

    if k.outer:
        put("#pragma omp for")
        put("for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(ks0); x0+=static_cast<int64_t>(1L))")
        put("{")
        depth += 1
    if k.reduction in ("ok", "after"):
        if k.reduction == "ok":
            accumulators()
    put("for(int64_t x1=static_cast<int64_t>(0L); x1<static_cast<int64_t>(ks1); x1+=static_cast<int64_t>(16L))")
    put("{")
    depth += 1
    put("if(C10_LIKELY(x1 >= static_cast<int64_t>(0) && x1 < static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L))))))")
    put("{")
    depth += 1
    emit(k.vector)
    depth -= 1
    put("}")
    put("if(C10_UNLIKELY(x1 >= static_cast<int64_t>(16L*(c10::div_floor_integer(static_cast<int64_t>(ks1), static_cast<int64_t>(16L)))) && x1 < static_cast<int64_t>(ks1)))")
    put("{")
    depth += 1
    put("for (int64_t x1_tail = static_cast<int64_t>(x1);x1_tail < static_cast<int64_t>(ks1); x1_tail++)")
    put("{")
    depth += 1
    emit(k.tail)
    depth -= 1
    put("}")
    depth -= 1
    put("}")
    depth -= 1
    put("}")
    if k.reduction is not None:
        if k.reduction == "after":
            accumulators()
        final = put(
            "out_ptr0[static_cast<int64_t>(0L)] = tmp_acc0 + at::vec::vec_reduce_all<float, 1>("
            "[](at::vec::Vectorized<float>& x, at::vec::Vectorized<float>& y) { return x + y; }, tmp_acc0_vec);"
        )
        for line in acc_lines:
            acc = "tmp_acc0_vec" if "tmp_acc0_vec" in lines[line - 1] else "tmp_acc0"
            if k.reduction == "after":
                expected.add(("forward-reference", acc, line))
            elif k.reduction == "missing":
                expected.add(("undeclared", acc, line))
        if k.reduction == "missing":
            expected |= {("undeclared", "tmp_acc0", final), ("undeclared", "tmp_acc0_vec", final)}
    if k.outer:
        depth -= 1
        put("}")
    depth -= 1
    put("}")
    return "\n".join(lines) + "\n", expected


def _features(k: Kernel, expected: set[tuple[str, str, int]]) -> set[str]:
    out = set(k.features)
    for body, label in ((k.vector, "vector"), (k.tail, "tail")):
        out |= {f"{label}-{s.role}" for s in body.stmts}
    out |= {f"finding-{kind}" for kind, _, _ in expected}
    checks = [s for b in (k.vector, k.tail) for s in b.stmts if s.role == "check"]
    late = sum(len(expected_late_checks(b)) for b in (k.vector, k.tail))
    if len(checks) > late:
        out.add("check-before-its-loads")
    if not expected:
        out.add("clean")
    return out


REQUIRED = {
    "nested", "flat", "reduction-None", "reduction-ok", "reduction-after", "reduction-missing",
    "vector-index", "vector-load", "vector-value", "vector-lambda", "vector-check", "vector-accumulate", "vector-store",
    "tail-index", "tail-load", "tail-value", "tail-lambda", "tail-check", "tail-accumulate", "tail-store",
    "plant-forward-reference", "plant-undeclared", "plant-out-of-scope", "plant-lambda-local",
    "finding-forward-reference", "finding-undeclared", "finding-out-of-scope", "finding-check-after-load",
    "check-before-its-loads", "clean",
}


def test_finds_exactly_the_planted_defects():
    """Every generated kernel: the findings are exactly the planted ones. Afterwards: at least
    EXAMPLES kernels ran, and every statement form, loop shape and defect kind was among them."""
    seen: collections.Counter[str] = collections.Counter()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(kernels())
    def check(generated: Kernel) -> None:
        source, expected = render(generated)
        found = {(f.kind, f.identifier, f.line) for f in kernel.analyze_source(source, "gen.cpp")}
        assert found == expected, source
        seen["examples"] += 1
        seen.update(_features(generated, expected))

    check()
    assert seen["examples"] >= EXAMPLES
    assert REQUIRED <= set(seen), sorted(REQUIRED - set(seen))
