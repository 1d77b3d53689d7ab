"""Bytes autograd saves for backward in one forward pass of a trunk, stock layers against lean ones
(training/lean_layers.py), per sequence; outputs and gradients are compared too.

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_saved_activations.py --model bundled --length 256
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from training.lean_layers import use_lean_layers  # noqa: E402
from training.reward.model import resolve_model_dir  # noqa: E402


def saved_bytes(trunk: torch.nn.Module, ids: torch.Tensor) -> tuple[torch.Tensor, int]:
    """The last hidden state, and the bytes of distinct non-parameter tensors saved for backward."""
    seen: dict[tuple[int, int], int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        seen[(t.data_ptr(), t.numel())] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        hidden = trunk(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False).last_hidden_state
    params = {p.data_ptr() for p in trunk.parameters()}
    return hidden, sum(size for (ptr, _), size in seen.items() if ptr not in params)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bundled", help="'bundled', 'tiny' or a model dir")
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument("--batch", type=int, default=2)
    args = parser.parse_args()
    from transformers import AutoModel

    model_dir = resolve_model_dir(args.model)
    stock = AutoModel.from_pretrained(model_dir, dtype=torch.float32)
    lean = AutoModel.from_pretrained(model_dir, dtype=torch.float32)
    switched = use_lean_layers(lean)
    ids = torch.randint(0, stock.config.vocab_size, (args.batch, args.length), generator=torch.Generator().manual_seed(0))
    figures = {}
    for name, trunk in (("stock", stock), ("lean", lean)):
        hidden, size = saved_bytes(trunk, ids)
        hidden.pow(2).mean().backward()
        figures[name] = (hidden.detach(), size / args.batch / 1e6)
    grad_gap = max((a.grad - b.grad).abs().max().item() / (a.grad.abs().max().item() + 1e-12)
                   for a, b in zip(stock.parameters(), lean.parameters(), strict=True))
    print(f"{args.model}, {args.length} tokens a sequence, {switched} layers switched")
    print(f"saved for backward per sequence: stock {figures['stock'][1]:.1f} MB, lean {figures['lean'][1]:.1f} MB "
          f"({1 - figures['lean'][1] / figures['stock'][1]:.0%} less)")
    print(f"largest output difference {(figures['stock'][0] - figures['lean'][0]).abs().max().item():.2e}, "
          f"largest relative gradient difference {grad_gap:.2e}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
