"""transformers' SDPA mask builder, the workload this project was made for, behind one signature.

transformers 4.53-4.57 builds the mask with `sdpa_mask_recent_torch` (vmap only), 5.x with
`sdpa_mask` (no vmap by default). The scenarios, the async tests, the verification suite and the
bench all call it through `builder`, with masks from `padded_mask`.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from analyzer import identity


def transformers_major() -> int:
    """The installed transformers' major release: 4 builds its mask with vmap only, 5 without by default."""
    return identity.major(identity.installed("transformers"))


def padded_mask(batch: int, length: int, pad: int) -> Any:
    import torch

    mask = torch.ones(batch, length, dtype=torch.bool)
    mask[0, :pad] = False  # left padding on the first row, as a batched generate makes
    return mask


def builder(use_vmap: bool) -> Callable[..., Any]:
    """The installed transformers' SDPA mask builder, behind one signature for 4.53+ and 5.x."""
    import torch
    from transformers import masking_utils as mu

    if transformers_major() >= 5:

        def build(attention_mask: torch.Tensor, q_offset: int, q_length: int, kv_length: int) -> Any:
            return mu.sdpa_mask(
                batch_size=attention_mask.shape[0],
                q_length=q_length,
                kv_length=kv_length,
                q_offset=q_offset,
                mask_function=mu.causal_mask_function,
                attention_mask=attention_mask,
                use_vmap=use_vmap,
            )

    else:
        builder = getattr(mu, "sdpa_mask_recent_torch")

        def build(attention_mask: torch.Tensor, q_offset: int, q_length: int, kv_length: int) -> Any:
            cache_position = torch.arange(q_length) + q_offset
            return builder(
                batch_size=attention_mask.shape[0],
                cache_position=cache_position,
                kv_length=kv_length,
                mask_function=mu.causal_mask_function,
                attention_mask=attention_mask,
            )

    return build
