"""RepVGG: the deployed single 3x3 convolution equals the multi-branch training form."""

import pytest
import torch

from neuralab.compress.finetune import fit
from neuralab.compress.reparam.repvgg import RepVGGBlock, deploy
from neuralab.data.dataset import load_dataset
from neuralab.models.base import build_model


def _randomize_bn(block):
    for bn in (block.bn3, block.bn1, block.bn_id):
        if bn is not None:
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
            bn.weight.data.uniform_(0.5, 1.5)
            bn.bias.data.uniform_(-0.5, 0.5)


@pytest.mark.parametrize("dims, c_in, c_out, stride", [
    (1, 4, 4, 1), (1, 3, 5, 2), (2, 4, 4, 1), (2, 2, 6, 2)])
def test_block_deploy_equals_training_form(dims, c_in, c_out, stride):
    torch.manual_seed(0)
    block = RepVGGBlock(dims, c_in, c_out, stride)
    _randomize_bn(block)
    block.eval()
    x = torch.randn(3, c_in, *([9] * dims))
    expected = block(x)
    block.reparameterize()
    assert block.conv3 is None and block.deployed is not None
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)


def test_model_deploy_after_training():
    data = load_dataset("digits")
    model = build_model("repvgg", data.spec, {"channels": 8, "depth": 3}, seed=0)
    fit(model, data, steps=5, lr=1e-2)
    deployed = deploy(model)
    x = data.x_test[:32]
    torch.testing.assert_close(deployed(x), model.eval()(x), atol=1e-5, rtol=1e-5)
    n_train = sum(p.numel() for p in model.parameters())
    n_deploy = sum(p.numel() for p in deployed.parameters())
    assert n_deploy < n_train


@pytest.mark.parametrize("dims", [1, 2])
def test_plain_block_is_the_3x3_branch_alone_and_deploys(dims):
    torch.manual_seed(1)
    block = RepVGGBlock(dims, 4, 4, 1, plain=True)
    assert block.conv1 is None and block.bn1 is None and block.bn_id is None
    _randomize_bn(block)
    block.eval()
    x = torch.randn(3, 4, *([7] * dims))
    expected = torch.relu(block.bn3(block.conv3(x)))  # y = relu(BN_3(conv3x3(x)))
    torch.testing.assert_close(block(x), expected)
    block.reparameterize()
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)


def test_plain_model_has_fewer_training_parameters_and_the_same_deployed_shape():
    data = load_dataset("digits")
    multi = build_model("repvgg", data.spec, {"channels": 8, "depth": 3}, seed=0)
    plain = build_model("repvgg", data.spec, {"channels": 8, "depth": 3, "plain": True}, seed=0)
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(plain) < count(multi)
    assert count(deploy(plain)) == count(deploy(multi))


def test_deployed_blocks_keep_the_trained_dtype_and_device():
    data = load_dataset("digits")
    model = build_model("repvgg", data.spec, {"channels": 4, "depth": 2}, seed=0).double().eval()
    x = data.x_test[:8].double()
    deployed = deploy(model)
    assert all(p.dtype == torch.float64 for p in deployed.parameters())
    torch.testing.assert_close(deployed(x), model(x))
