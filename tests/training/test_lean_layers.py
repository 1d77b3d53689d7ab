"""The lean SwiGLU MLP and RMSNorm: exact gradients, the same outputs as the stock layers, and the stock
forward wherever the lean one does not apply (autocast, wrapped projections)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from training.lean_layers import RMSNormFunction, SwiGLUFunction, use_lean_layers


def test_swiglu_gradients_match_finite_differences() -> None:
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(2, 3, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    weights = [torch.randn(*shape, dtype=torch.float64, generator=gen, requires_grad=True)
               for shape in ((6, 4), (6, 4), (4, 6))]
    assert torch.autograd.gradcheck(SwiGLUFunction.apply, (x, *weights))


def test_rms_norm_gradients_match_finite_differences() -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(2, 3, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    weight = torch.randn(5, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, w: RMSNormFunction.apply(a, w, 1e-6), (x, weight))


def test_swiglu_matches_the_naive_formula() -> None:
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(3, 8, generator=gen)
    w_gate, w_up, w_down = torch.randn(16, 8, generator=gen), torch.randn(16, 8, generator=gen), torch.randn(8, 16, generator=gen)
    naive = (torch.nn.functional.silu(x @ w_gate.T) * (x @ w_up.T)) @ w_down.T
    torch.testing.assert_close(SwiGLUFunction.apply(x, w_gate, w_up, w_down), naive)


def tiny_trunk() -> nn.Module:
    from transformers import AutoModel

    from training.tiny import tiny_model_dir

    return AutoModel.from_pretrained(tiny_model_dir(), dtype=torch.float32)


def loss_and_grads(trunk: nn.Module, ids: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    trunk.zero_grad(set_to_none=True)
    hidden = trunk(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=False).last_hidden_state
    loss = (hidden * torch.linspace(-1, 1, hidden.shape[-1])).sum()
    loss.backward()
    return loss.detach(), [p.grad.clone() for p in trunk.parameters() if p.grad is not None]


def test_a_lean_trunk_gives_the_stock_outputs_and_gradients() -> None:
    stock, lean = tiny_trunk(), tiny_trunk()
    layers = len(stock.layers)
    assert use_lean_layers(lean) == layers + 2 * layers + 1  # an MLP and two norms per layer, a final norm
    ids = torch.randint(0, 500, (2, 12), generator=torch.Generator().manual_seed(3))
    stock_loss, stock_grads = loss_and_grads(stock, ids)
    lean_loss, lean_grads = loss_and_grads(lean, ids)
    torch.testing.assert_close(lean_loss, stock_loss, rtol=1e-5, atol=1e-4)
    assert len(lean_grads) == len(stock_grads) == len(list(stock.parameters()))
    for got, want in zip(lean_grads, stock_grads, strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def count_lean_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original = SwiGLUFunction.apply

    def counted(*args: torch.Tensor) -> torch.Tensor:
        calls[0] += 1
        return original(*args)

    monkeypatch.setattr(SwiGLUFunction, "apply", counted)
    return calls


def test_the_lean_path_runs_in_float32(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_lean_calls(monkeypatch)
    lean = tiny_trunk()
    use_lean_layers(lean)
    lean(input_ids=torch.tensor([[1, 2, 3]]))
    assert calls[0] == len(lean.layers)


def test_autocast_and_wrapped_projections_fall_back_to_the_stock_forward(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = count_lean_calls(monkeypatch)
    stock, lean = tiny_trunk(), tiny_trunk()
    use_lean_layers(lean)
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        torch.testing.assert_close(lean(input_ids=ids).last_hidden_state, stock(input_ids=ids).last_hidden_state)
    assert calls[0] == 0

    class Wrapped(nn.Module):  # stands in for a LoRA layer: it adds to what the base weight gives
        def __init__(self, base: nn.Linear):
            super().__init__()
            self.base, self.weight, self.bias = base, base.weight, None

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.base(x) + 1.0

    for trunk in (stock, lean):
        for layer in trunk.layers:
            layer.mlp.up_proj = Wrapped(layer.mlp.up_proj)
    torch.testing.assert_close(lean(input_ids=ids).last_hidden_state, stock(input_ids=ids).last_hidden_state)
    assert calls[0] == 0
