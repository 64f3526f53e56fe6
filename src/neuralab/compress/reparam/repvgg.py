"""RepVGG: train a multi-branch block, deploy one 3x3 convolution.

Ding et al., "RepVGG: Making VGG-style ConvNets Great Again" (arXiv:2101.03697). In training a
block computes

    y = relu( BN_3(conv3x3(x)) + BN_1(conv1x1(x)) + BN_id(x) )

(the identity branch only when input and output shapes agree). In inference every branch is an
affine function of ``x`` with a kernel that fits in 3x3: a BatchNorm after a bias-free convolution
folds into it (``K' = K gamma / sigma``, ``b' = beta - mu gamma / sigma``), the 1x1 kernel is
zero-padded to 3x3 and the identity is the 3x3 kernel with a single 1 at the centre of channel
``i -> i``. Their sum is one 3x3 convolution with bias: :meth:`RepVGGBlock.reparameterize`
computes it, and the deployed block equals the training block in eval mode to float tolerance.
Works for 1-D (``(C, L)``) and 2-D (``(C, H, W)``) inputs. With ``plain=True`` a block keeps
only its 3x3 branch, ``y = relu(BN_3(conv3x3(x)))``: the paper's plain VGG-style baseline, whose
deployed form is the same stack of 3x3 convolutions.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from neuralab.components.init import initialize
from neuralab.data.dataset import DataSpec
from neuralab.models.base import Model
from neuralab.registry import register


def _fold(kernel: torch.Tensor, bn: nn.modules.batchnorm._BatchNorm) -> tuple[torch.Tensor, torch.Tensor]:
    """``(K gamma / sigma, beta - mu gamma / sigma)`` for a bias-free conv followed by ``bn``."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return kernel * scale.view(-1, *[1] * (kernel.dim() - 1)), bn.bias - bn.running_mean * scale


class RepVGGBlock(nn.Module):
    """3x3 + 1x1 + identity branches (only the 3x3 one when ``plain``), each with its BatchNorm,
    then ReLU; or, once deployed, one 3x3 convolution with bias and ReLU."""

    def __init__(self, dims: int, c_in: int, c_out: int, stride: int = 1, plain: bool = False):
        super().__init__()
        conv, bn = {1: (nn.Conv1d, nn.BatchNorm1d), 2: (nn.Conv2d, nn.BatchNorm2d)}[dims]
        self.dims, self.c_in, self.c_out, self.stride = dims, c_in, c_out, stride
        self.conv3 = conv(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.bn3 = bn(c_out)
        self.conv1 = None if plain else conv(c_in, c_out, 1, stride=stride, padding=0, bias=False)
        self.bn1 = None if plain else bn(c_out)
        self.bn_id = bn(c_in) if c_in == c_out and stride == 1 and not plain else None
        self.deployed: nn.Module | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.deployed is not None:
            return F.relu(self.deployed(x))  # (B, C_in, *S) -> (B, C_out, *S')
        y = self.bn3(self.conv3(x))
        if self.conv1 is not None:
            y = y + self.bn1(self.conv1(x))
        if self.bn_id is not None:
            y = y + self.bn_id(x)
        return F.relu(y)

    @torch.no_grad()
    def fused(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The single 3x3 kernel and bias equal to the branches in eval mode."""
        kernel, bias = _fold(self.conv3.weight, self.bn3)
        if self.conv1 is not None:
            k1, b1 = _fold(F.pad(self.conv1.weight, [1, 1] * self.dims), self.bn1)
            kernel, bias = kernel + k1, bias + b1
        if self.bn_id is not None:
            eye = torch.zeros_like(self.conv3.weight)
            centre = (1,) * self.dims
            for i in range(self.c_in):
                eye[(i, i, *centre)] = 1.0
            kid, bid = _fold(eye, self.bn_id)
            kernel, bias = kernel + kid, bias + bid
        return kernel, bias

    def reparameterize(self) -> None:
        """Replace the branches by their fused 3x3 convolution (in place)."""
        if self.deployed is not None:
            return
        kernel, bias = self.fused()
        conv = {1: nn.Conv1d, 2: nn.Conv2d}[self.dims]
        self.deployed = conv(self.c_in, self.c_out, 3, stride=self.stride, padding=1, bias=True,
                             device=kernel.device, dtype=kernel.dtype)
        self.deployed.weight.data.copy_(kernel)
        self.deployed.bias.data.copy_(bias)
        for name in ("conv3", "bn3", "conv1", "bn1", "bn_id"):
            setattr(self, name, None)


class RepVGG(Model):
    """A plain stack of RepVGG blocks, global average pooling and a linear head."""

    def __init__(self, spec: DataSpec, *, channels: int, depth: int, plain: bool = False):
        super().__init__()
        shape = spec.input_shape
        if spec.tokens or len(shape) not in (1, 2, 3):
            raise ValueError(f"repvgg takes real (L,), (C, L) or (C, H, W) inputs, got {shape}")
        self.unsqueeze = len(shape) == 1
        dims = 1 if len(shape) <= 2 else 2
        c = 1 if self.unsqueeze else shape[0]
        self.blocks = nn.ModuleList()
        for i in range(depth):
            stride = 2 if i in (0, depth // 2) and i < depth - 1 else 1
            self.blocks.append(RepVGGBlock(dims, c, channels, stride, plain))
            c = channels
        self.head = nn.Linear(channels, spec.n_outputs)
        initialize(self.blocks, "he", "relu")
        initialize(self.head, "xavier", "linear")

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        if self.unsqueeze:
            x = x.unsqueeze(1)  # (B, L) -> (B, 1, L)
        for block in self.blocks:
            x = block(x)  # (B, C, *S)
        return x.mean(tuple(range(2, x.dim())))  # (B, C)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        return self.head(features)  # (B, n_outputs)

    def probe_points(self) -> dict[str, nn.Module]:
        return {**{f"block{i}": b for i, b in enumerate(self.blocks)}, "head": self.head}

    def reparameterize(self) -> RepVGG:
        """Deploy every block (in place); returns the model."""
        for block in self.blocks:
            block.reparameterize()
        return self


def deploy(model: nn.Module) -> nn.Module:
    """An eval-mode copy of ``model`` with every RepVGG block fused."""
    model = copy.deepcopy(model).eval()
    for module in model.modules():
        if isinstance(module, RepVGGBlock):
            module.reparameterize()
    return model


@register("model", "repvgg", tags={"batch_statistics"}, arxiv="2101.03697",
          paper="RepVGG: Making VGG-style ConvNets Great Again")
def repvgg(spec: DataSpec, *, channels: int = 32, depth: int = 4, plain: bool = False) -> RepVGG:
    """RepVGG: multi-branch blocks in training, one 3x3 convolution each once deployed
    (``plain``: the 3x3 branch alone, the plain VGG-style baseline)."""
    if spec.task == "sequence":
        raise ValueError("repvgg classifies or regresses whole inputs; it does not fit sequence tasks")
    if channels < 1 or depth < 1:
        raise ValueError("channels and depth must be positive")
    return RepVGG(spec, channels=channels, depth=depth, plain=plain)
