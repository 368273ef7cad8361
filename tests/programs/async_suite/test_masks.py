"""Async tests sharing one compiled mask builder (pytorch/pytorch#178244's situation).

Each test passes alone: the first call of `build_mask` in a process compiles static shapes. Run
together, the second test's call has other sizes, Dynamo recompiles with automatic dynamic shapes,
and on torch 2.8.0 to 2.12.1 g++ rejects the kernel (`'tmpN' was not declared in this scope` in
the bounds check of `padding_mask[batch_idx, kv_idx]`), so whichever test runs second fails.
"""
import asyncio

import pytest
import torch


def causal_padding_mask(padding_mask, q_len, kv_len):
    """The causal rule AND the padding rule, as transformers' sdpa mask composes them."""
    batch_idx = torch.arange(padding_mask.size(0)).view(-1, 1, 1)
    q_idx = torch.arange(kv_len - q_len, kv_len).view(1, -1, 1)
    kv_idx = torch.arange(kv_len).view(1, 1, -1)
    return (kv_idx <= q_idx) & padding_mask[batch_idx, kv_idx]


build_mask = torch.compile(causal_padding_mask)


async def check(batch, mask_len, q_len, kv_len):
    torch.manual_seed(0)
    padding_mask = torch.rand(batch, mask_len) > 0.2
    await asyncio.sleep(0)
    got = build_mask(padding_mask, q_len, kv_len)
    assert torch.equal(got, causal_padding_mask(padding_mask, q_len, kv_len))


@pytest.mark.asyncio
async def test_prefill():
    await check(batch=2, mask_len=16, q_len=8, kv_len=8)


@pytest.mark.asyncio
async def test_decode():
    await check(batch=2, mask_len=24, q_len=1, kv_len=9)


@pytest.mark.asyncio
async def test_long_prompt():
    await check(batch=3, mask_len=40, q_len=20, kv_len=20)
