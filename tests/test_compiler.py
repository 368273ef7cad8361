"""What a compiler's message says: the class of a failed compile, and diagnostics equal with numbers free."""
from __future__ import annotations

import json
from pathlib import Path

from analyzer.analysis import compiler
from analyzer.repro import oracle

ROOT = Path(__file__).resolve().parent.parent


def test_classes_of_real_compiler_messages():
    """The messages g++ wrote in the committed captures of torch 2.8.0 runs."""
    messages = []
    for capture in sorted((ROOT / "reports").glob("*/torch-2.8.0-*/*/capture.json")):
        messages += [c["error"]["message"] for c in json.loads(capture.read_text())["calls"] if c.get("error")]
    assert messages
    for message in messages:
        kind, first = compiler.classify(message)
        assert kind == compiler.LOST_DEFINITION and "was not declared in this scope" in first
        assert compiler.diagnostic(message)[1] == "'tmpN' was not declared in this scope"


def test_diagnostics_are_equal_with_identifier_numbers_free():
    a = "k.cpp:18:9: error: 'tmp2' was not declared in this scope\n   18 |     TORCH_CHECK(tmp2 < ks3, \"index out of bounds: tmp2 < ks3\");"
    b = "x.cpp:40:9: error: 'tmp7' was not declared in this scope\n   40 |     TORCH_CHECK(tmp7 < ks1, \"index out of bounds: tmp7 < ks1\");"
    other = "x.cpp:3:1: error: 'zuf0' was not declared in this scope\n    3 |     auto tmp0 = 10.0*zuf0;"
    assert compiler.diagnostic(a) == compiler.diagnostic(b)
    assert compiler.diagnostic(a)[0] == compiler.LOST_DEFINITION
    assert compiler.diagnostic(other)[0] == "undeclared-symbol" and compiler.diagnostic(other) != compiler.diagnostic(a)
    assert compiler.classify("RuntimeError: something else") == ("not-a-compile-error", None)


def test_the_oracle_and_the_classes_agree_on_the_lost_definition():
    """One home for "is this the lost definition": the oracle asks the compiler module."""
    for capture in sorted((ROOT / "reports").glob("*/torch-2.8.0-*/*/capture.json")):
        for call in json.loads(capture.read_text())["calls"]:
            if call.get("error"):
                message = call["error"]["message"]
                assert oracle.signature(message) == compiler.lost_identifier(message) is not None
    assert compiler.lost_identifier("k.cpp:3:1: error: 'zuf0' was not declared in this scope\n    3 | auto tmp0 = zuf0;") is None


def test_gccs_guess_is_not_part_of_the_diagnostic():
    """g++ adds "did you mean" with a name near the missing one: a smaller program guesses another."""
    a = "k.cpp:21:70: error: \u2018tmp2\u2019 was not declared in this scope; did you mean \u2018tm\u2019?"
    b = "k.cpp:26:70: error: \u2018tmp3\u2019 was not declared in this scope; did you mean \u2018tmp6\u2019?"
    assert compiler.diagnostic(a)[:2] == compiler.diagnostic(b)[:2] == ("undeclared-symbol", "'tmpN' was not declared in this scope")
