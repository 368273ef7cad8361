"""Property test: on generated Inductor-shaped kernels the analysis finds every planted defect and nothing else."""
from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer import kernel

EXAMPLES = int(os.environ.get("ANALYZER_FUZZ_EXAMPLES", "1000"))


@st.composite
def bodies(draw, tail: bool):
    """Statements of one loop body: (text, planted) pairs, planted = (kind, identifier) or None."""
    n = draw(st.integers(min_value=1, max_value=8))
    index = "x0_tail" if tail else "x0"
    stmts = []
    for k in range(n):
        src = draw(st.sampled_from(["index", "load", "prev"])) if k else draw(st.sampled_from(["index", "load"]))
        if src == "index":
            expr = f"c10::convert<int64_t>({index})"
        elif src == "load":
            expr = f"in_ptr0[static_cast<int64_t>({index} + ks0)]"
        else:
            a, b = draw(st.integers(0, k - 1)), draw(st.integers(0, k - 1))
            expr = f"decltype(tmp{a})(tmp{a} + tmp{b})"
        stmts.append([f"auto tmp{k} = {expr};", None])
    return stmts


@st.composite
def kernels(draw):
    vector = draw(bodies(tail=False))
    tail_body = draw(bodies(tail=True))
    plants = draw(st.lists(st.sampled_from(["forward-reference", "undeclared", "out-of-scope"]), max_size=3))
    for kind in plants:
        target_tail = draw(st.booleans())
        body = tail_body if target_tail else vector
        decls = [i for i, (text, planted) in enumerate(body) if planted is None and text.startswith("auto tmp")]
        if kind == "forward-reference":
            j = draw(st.sampled_from(decls))
            name = body[j][0].split()[1]
            body.insert(j, [f'TORCH_CHECK({name} < ks0, "index out of bounds: {name} < ks0");', (kind, name)])
        elif kind == "undeclared":
            name = f"tmp{900 + len(body)}"
            body.append([f"auto tmp_u{len(body)} = {name} + 1;", (kind, name)])
        else:
            other = vector if target_tail else tail_body
            own = {t.split()[1] for t, p in body if p is None and t.startswith("auto tmp")}
            theirs = [t.split()[1] for t, p in other if p is None and t.startswith("auto tmp")]
            candidates = [n for n in theirs if n not in own]
            if not candidates:
                continue
            name = draw(st.sampled_from(candidates))
            body.append([f"auto tmp_s{len(body)} = {name} * 2;", (kind, name)])
    return vector, tail_body


def render(vector, tail_body):
    lines = [
        "#include <torch/csrc/inductor/cpp_prefix.h>",
        'extern "C"  void kernel(const float* in_ptr0, float* out_ptr0, const int64_t ks0)',
        "{",
        "    for(int64_t x0=static_cast<int64_t>(0L); x0<static_cast<int64_t>(ks0); x0+=static_cast<int64_t>(8L))",
        "    {",
        "        if(C10_LIKELY(x0 >= static_cast<int64_t>(0) && x0 < static_cast<int64_t>(ks0)))",
        "        {",
    ]
    expected = set()
    for text, planted in vector:
        lines.append("            " + text)
        if planted:
            expected.add((planted[0], planted[1], len(lines)))
    lines += [
        "        }",
        "        if(C10_UNLIKELY(x0 >= static_cast<int64_t>(ks0)))",
        "        {",
        "            for (int64_t x0_tail = static_cast<int64_t>(0L);x0_tail < static_cast<int64_t>(ks0); x0_tail++)",
        "            {",
    ]
    for text, planted in tail_body:
        lines.append("                " + text)
        if planted:
            expected.add((planted[0], planted[1], len(lines)))
    lines += ["            }", "        }", "    }", "}"]
    return "\n".join(lines) + "\n", expected


@settings(max_examples=EXAMPLES, deadline=None)
@given(kernels())
def test_finds_exactly_the_planted_defects(generated):
    source, expected = render(*generated)
    found = {
        (f.kind, f.identifier, f.line)
        for f in kernel.analyze_source(source, "gen.cpp")
        if f.kind != "check-after-load"
    }
    assert found == expected, source
