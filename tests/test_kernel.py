"""The def-use analysis on kernels captured from real compiles, and on small hand-made ones."""
from __future__ import annotations

import re
import textwrap

import pytest
from conftest import AFFECTED, AFFECTED_5X, AFFECTED_MODEL, FIXED, FIXED_MODEL, capture_json, kernels

from analyzer.analysis import kernel

LOST = {"undeclared", "forward-reference", "out-of-scope"}
COMPILER_ERROR = re.compile(r"\.cpp:(\d+):(\d+): error: .(tmp\w+). was not declared")


def lost(findings):
    return [f for f in findings if f.kind in LOST]


@pytest.mark.parametrize("bundle", [AFFECTED, AFFECTED_5X], ids=["4.57.1", "5.23.0"])
def test_affected_kernel_loses_the_checked_variable_in_vector_body_and_tail(bundle):
    assert capture_json(bundle)["versions"]["torch"].startswith("2.8.0")
    for path in kernels(bundle):
        findings = lost(kernel.analyze_source(path.read_text(), str(path)))
        if "index out of bounds" not in path.read_text():
            assert findings == []
            continue
        assert [f.kind for f in findings] == ["forward-reference", "forward-reference"]
        vector, tail = findings
        assert vector.scope == "vectorized body"
        assert tail.scope.startswith("tail loop")
        for f in findings:
            assert "index out of bounds" in f.statement and f.statement.startswith("TORCH_CHECK")
            assert f.related_line > f.line  # the declaration comes after the check


@pytest.mark.parametrize("bundle", [AFFECTED, AFFECTED_5X, AFFECTED_MODEL], ids=["4.57.1", "5.23.0", "tiny-llama"])
def test_findings_are_where_the_compiler_errors_are(bundle):
    """The compiler's own verdict, recorded at capture: same identifiers, same columns, one line shift."""
    data = capture_json(bundle)
    errors = set()
    for call in data["calls"]:
        if call["error"]:
            errors |= {(int(m[1]), int(m[2]), m[3]) for m in COMPILER_ERROR.finditer(call["error"]["message"])}
    assert errors, "the capture recorded no compiler error"
    found = set()
    for path in kernels(bundle):
        found |= {(f.line, f.col, f.identifier) for f in lost(kernel.analyze_source(path.read_text(), str(path)))}
    shifts = {line - f_line for (line, col, ident) in errors for (f_line, f_col, f_ident) in found if (col, ident) == (f_col, f_ident)}
    # Inductor writes the kernel after one blank line; the shift must be that line and nothing else
    assert shifts == {1}
    assert {(line - 1, col, ident) for line, col, ident in errors} <= found


def test_fixed_kernel_declares_everything_but_checks_after_the_load():
    assert capture_json(FIXED)["versions"]["torch"].startswith("2.13.0")
    saw_check = False
    for path in kernels(FIXED):
        source = path.read_text()
        findings = kernel.analyze_source(source, str(path))
        assert lost(findings) == []
        late = [f for f in findings if f.kind == "check-after-load"]
        assert len(late) == source.count("index out of bounds")  # one per TORCH_CHECK
        for f in late:
            saw_check = True
            assert f.related_line < f.line
            assert "in_ptr" in f.message
    assert saw_check


def test_whole_model_compile_on_fixed_torch_only_checks_late_in_the_mask_kernel():
    paths = kernels(FIXED_MODEL)
    assert len(paths) > 10
    late_files = set()
    for path in paths:
        findings = kernel.analyze_source(path.read_text(), str(path))
        assert lost(findings) == [], path.name
        late_files |= {path.name for f in findings if f.kind == "check-after-load"}
    # only the recompile with dynamic shapes keeps the padding-mask check, and it sits after its load
    assert late_files and all(name.startswith("0-2-") and "_index_" in name for name in late_files)


def _kernel(body: str) -> str:
    return "extern \"C\" void kernel(const float* in_ptr0, float* out_ptr0, const int64_t ks0)\n{\n" + textwrap.indent(textwrap.dedent(body), "    ") + "}\n"


def kinds(source: str):
    return [(f.kind, f.identifier, f.line) for f in kernel.analyze_source(source, "k.cpp")]


def test_clean_kernel_with_lambda_and_tail_shadowing():
    src = _kernel(
        """
        for(int64_t x0=0; x0<ks0; x0+=8)
        {
            auto tmp0 = in_ptr0[x0];
            auto tmp1 = [&] { auto tmp2 = tmp0 + 1; return tmp2; };
            auto tmp3 = tmp1();
            out_ptr0[x0] = tmp3;
        }
        for(int64_t x0_tail=0; x0_tail<ks0; x0_tail++)
        {
            auto tmp0 = in_ptr0[x0_tail];
            out_ptr0[x0_tail] = tmp0;
        }
        """
    )
    assert kinds(src) == []


def test_each_lost_definition_kind():
    src = _kernel(
        """
        {
            auto tmp5 = 1;
        }
        for(int64_t x0=0; x0<ks0; x0+=1)
        {
            auto tmp0 = tmp1 + tmp9;
            auto tmp1 = in_ptr0[x0];
            out_ptr0[x0] = tmp5;
        }
        """
    )
    assert kinds(src) == [
        ("forward-reference", "tmp1", 9),
        ("undeclared", "tmp9", 9),
        ("out-of-scope", "tmp5", 11),
    ]


def test_check_after_load_direct_and_indirect():
    src = _kernel(
        """
        for(int64_t x0=0; x0<ks0; x0+=1)
        {
            auto tmp0 = in_ptr0[x0];
            auto tmp1 = x0;
            auto tmp2 = c10::convert<int64_t>(tmp1);
            TORCH_CHECK(tmp2 < ks0, "index out of bounds: tmp2 < ks0");
            auto tmp3 = static_cast<int64_t>(in_ptr0[x0 + 1]);
            TORCH_CHECK((0 <= tmp3) && (tmp3 < ks0), "index out of bounds: 0 <= tmp3 < ks0");
            auto tmp4 = in_ptr0[tmp3];
            out_ptr0[x0] = tmp0 + tmp4;
        }
        """
    )
    # the first check comes after the load it guards; the second guards a load that comes later,
    # and the load that produced tmp3 is not one it guards
    assert kinds(src) == [("check-after-load", "tmp2", 9)]


def test_a_second_check_of_the_same_index_belongs_to_a_later_load():
    """An index checked against two bounds (two gathers read it): the first check guards the first
    load; the second is for another buffer, so the load before it is already guarded."""
    src = _kernel(
        """
        for(int64_t x0=0; x0<ks0; x0+=1)
        {
            auto tmp0 = x0;
            auto tmp1 = c10::convert<int64_t>(tmp0);
            TORCH_CHECK(tmp1 < ks2, "index out of bounds: tmp1 < ks2");
            auto tmp3 = in_ptr0[static_cast<int64_t>(x0)];
            TORCH_CHECK(tmp1 < ks6, "index out of bounds: tmp1 < ks6");
            auto tmp4 = in_ptr1[static_cast<int64_t>(x0)];
            out_ptr0[x0] = tmp3 + tmp4;
        }
        """
    )
    assert kinds(src) == []
    unguarded = src.replace('TORCH_CHECK(tmp1 < ks2, "index out of bounds: tmp1 < ks2");', "")
    assert kinds(unguarded) == [("check-after-load", "tmp1", 10)]


@pytest.mark.parametrize(
    "text, reason",
    [
        ("def f():\n    return 1\n", "syntax error"),
        ("int x = 1;\n", r"no C\+\+ function definition"),
    ],
)
def test_unreadable_text_is_refused(text, reason):
    with pytest.raises(kernel.KernelParseError, match=reason):
        kernel.analyze_source(text, "bad.cpp")


def test_truncated_real_kernel_is_refused():
    text = kernels(AFFECTED)[0].read_text()
    with pytest.raises(kernel.KernelParseError, match="syntax error"):
        kernel.analyze_source(text[: len(text) // 2], "cut.cpp")


def test_whole_model_compile_on_affected_torch_parses_and_flags_only_the_mask_kernel():
    """The model's kernels gather rotary tables in a lambda with `#pragma GCC unroll` and `__at_align__`
    inside an initializer, which tree-sitter-cpp alone cannot read; every kernel must still parse."""
    paths = kernels(AFFECTED_MODEL)
    assert any("#pragma GCC unroll" in p.read_text() and "[&]" in p.read_text() for p in paths)
    flagged = set()
    for path in paths:
        findings = lost(kernel.analyze_source(path.read_text(), str(path)))
        flagged |= {path.name for f in findings}
        assert len(findings) in (0, 2), path.name
    # the embedding kernels check their token index too, correctly; only the mask kernel loses it
    assert flagged and all("_embedding_" not in name and "index out of bounds" in (AFFECTED_MODEL / "kernels" / name).read_text() for name in flagged)
