"""Recompile reasons and automatic-dynamic symbols, as torchglue reads them from the installed torch."""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from analyzer.capture import torchglue  # noqa: E402


@pytest.mark.parametrize(
    "text, expected",
    [
        ("0/0: q_length == 8", {"against": "0/0", "guard": "q_length == 8", "where": None}),
        (  # torch 2.13 pads the guard, names the code and the line, and appends the user stack
            "0/1: q_length == 8                                            # q_arange = torch.arange(q_length, device=device)"
            " + q_offset  # transformers/masking_utils.py:545 in sdpa_mask\nUser stack trace:\n  File \"x.py\", line 53, in build",
            {"against": "0/1", "guard": "q_length == 8", "where": "transformers/masking_utils.py:545 in sdpa_mask"},
        ),
        (
            "0/0: tensor 'attention_mask' size mismatch at index 1. expected 8, actual 12",
            {"against": "0/0", "guard": "tensor 'attention_mask' size mismatch at index 1. expected 8, actual 12", "where": None},
        ),
        ("Unable to find recompilation reasons", {"against": None, "guard": "Unable to find recompilation reasons", "where": None}),
        (None, None),
        ("   ", None),
    ],
)
def test_parse_recompile_reason(text, expected):
    assert torchglue.parse_recompile_reason(text) == expected


def test_a_recompile_is_recorded_with_its_guard_and_its_symbols():
    """The default dynamic=None: static first, then the changed sizes become distinct symbols."""
    symbols: list[dict[str, str]] = []

    def backend(gm, example_inputs):
        symbols.append(torchglue.dynamic_sources(example_inputs))
        return gm.forward

    def f(x, n):
        return x[:, :n].sum() + n

    torchglue.reset()
    torchglue.clear_compile_events()
    compiled = torch.compile(f, backend=backend)
    try:
        compiled(torch.ones(2, 8), 6)
        compiled(torch.ones(2, 8), 6)  # a cache hit: no event
        compiled(torch.ones(2, 9), 7)
        events = torchglue.compile_events()
    finally:
        torchglue.reset()
    assert [e["compile_id"] for e in events] == ["0/0", "0/1"]
    assert events[0]["recompile"] is None and events[0]["fail_type"] is None
    again = events[1]["recompile"]
    assert again["against"] == "0/0" and again["guard"]
    assert symbols[0] == {}
    sizes = {src: sym for src, sym in symbols[1].items() if "stride" not in src}
    assert set(sizes) == {"L['x'].size()[1]", "L['n']"}
    assert len(set(sizes.values())) == 2  # distinct symbols
