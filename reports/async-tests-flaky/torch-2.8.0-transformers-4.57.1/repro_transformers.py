"""transformers' SDPA mask builder under torch.compile(dynamic=True) on CPU, left-padded batch.

Exits 1 while Inductor's C++ bounds check uses a variable before declaring it, 0 once the compiled
mask matches eager."""
import sys

import torch
import transformers

from transformers.masking_utils import causal_mask_function, sdpa_mask_recent_torch


def build(attention_mask, q_offset, q_length, kv_length):
    return sdpa_mask_recent_torch(
        batch_size=attention_mask.shape[0],
        cache_position=torch.arange(q_length) + q_offset,
        kv_length=kv_length,
        mask_function=causal_mask_function,
        attention_mask=attention_mask,
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


def main() -> int:
    print(f"torch {torch.__version__}, transformers {transformers.__version__}")
    mask = padded_mask(2, 9, 3)
    args = (mask, 8, 1, 9)  # attention mask, q_offset, q_length, kv_length
    expected = build(*args)
    try:
        got = torch.compile(build, dynamic=True)(*args)
    except Exception as exc:
        if shows_bug(exc):
            print("BUG: the compiled SDPA mask builder fails in Inductor's C++ bounds check")
            return 1
        raise
    print(f"compiled with dynamic=True; matches eager: {torch.equal(got, expected)}")
    return 0 if torch.equal(got, expected) else 2


if __name__ == "__main__":
    sys.exit(main())
