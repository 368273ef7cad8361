"""Why it fails only when tests run together: a prefill call then a decode call, default dynamic=None.

Each call alone compiles static shapes and passes. In one process the second call recompiles with
automatic dynamic shapes and fails. Exits 1 while that happens, 0 when both orders pass."""
import sys

import torch
import transformers

from transformers.masking_utils import causal_mask_function, sdpa_mask


def build(attention_mask, q_offset, q_length, kv_length):
    return sdpa_mask(
        batch_size=attention_mask.shape[0],
        q_length=q_length,
        kv_length=kv_length,
        q_offset=q_offset,
        mask_function=causal_mask_function,
        attention_mask=attention_mask,
        use_vmap=False,
    )


def padded_mask(batch, length, pad):
    """A left-padded 2D attention mask, as a batched generate builds it."""
    mask = torch.ones(batch, length, dtype=torch.bool)
    mask[0, :pad] = False
    return mask


def shows_bug(exc: Exception) -> bool:
    """A C++ compile error naming a variable inside an index-out-of-bounds TORCH_CHECK."""
    text = str(exc)
    lines = text.splitlines()
    errors = [i for i, line in enumerate(lines) if "was not declared" in line or "undeclared identifier" in line]
    for i in errors:
        print("\n".join(lines[i : i + 3]))
    return bool(errors) and "index out of bounds" in text


CALLS = [  # (label, attention-mask length, q_offset, q_length, kv_length)
    ("prefill", 8, 0, 8, 8),
    ("decode", 9, 8, 1, 9),
]


def run(reset_between: bool) -> str | None:
    """Returns the label of the call that failed, or None."""
    torch._dynamo.reset()
    compiled = torch.compile(build)  # the default dynamic=None: static first, automatic dynamic after
    for label, length, q_offset, q_length, kv_length in CALLS:
        if reset_between:
            torch._dynamo.reset()  # what running each test in its own process amounts to
        mask = padded_mask(2, length, 3)
        try:
            compiled(mask, q_offset, q_length, kv_length)
        except Exception as exc:
            if shows_bug(exc):
                return label
            raise
    return None


def main() -> int:
    isolated = run(reset_between=True)
    print(f"each call on a fresh Dynamo state: {'fails at ' + isolated if isolated else 'all pass'}")
    together = run(reset_between=False)
    print(f"the same calls in one process:    {'fails at ' + together if together else 'all pass'}")
    if together:
        print("BUG: the second call recompiles with automatic dynamic shapes, the kv length and the mask")
        print("length become distinct symbols, and Inductor's bounds check loses its variable.")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
