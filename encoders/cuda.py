"""Recognising CUDA running out of memory: one way, for every backend and stage.

torch raises `torch.cuda.OutOfMemoryError` (a RuntimeError subclass that exists without CUDA too); backends
that give up after halving their batches raise their own error *from* it. So the test is by type, along the
chain of causes, and never by message.
"""

from __future__ import annotations

import sys


def is_cuda_out_of_memory(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from (its causes and contexts), is CUDA out of memory.

    False whenever torch was never imported: nothing can have run out of GPU memory then.
    """
    torch = sys.modules.get("torch")
    if torch is None:
        return False
    out_of_memory: type[BaseException] = torch.cuda.OutOfMemoryError
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, out_of_memory):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False
