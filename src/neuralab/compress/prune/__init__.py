"""Pruning: importance score x scope x schedule, on ``torch.nn.utils.prune`` masks.

- :mod:`.masks`: targets, applying and folding masks, pruned weights in safetensors;
- :mod:`.scores`: magnitude, random, LAMP, Taylor; :mod:`.scopes`: global, layer-wise, ERK;
  :mod:`.rate_distortion`: layer-adaptive sparsity by dynamic programming;
- :mod:`.pruner`: the registered unstructured pruners (kind ``pruner``) and population masks;
- :mod:`.activating`: Activating-while-Pruning (AP), a share of every round on negative weights;
- :mod:`.schedules`: one-shot, gradual (cubic), iterative with rewinding;
- :mod:`.structured`: channel pruning to a smaller dense model (L1, Taylor, LRP relevance).
"""

from neuralab.compress.prune.masks import (apply_masks, clone_folded, folded_state_dict,
                                           load_pruned, prunable_weights, remove_masks,
                                           save_pruned, sparsity)
from neuralab.compress.prune.pruner import MaskPruner, population_masks
from neuralab.compress.prune.schedules import (GradualPruning, LotteryResult, cubic_sparsity,
                                               iterative_pruning, rewind)
from neuralab.compress.prune.structured import ChannelPruner

__all__ = [
    "ChannelPruner", "GradualPruning", "LotteryResult", "MaskPruner", "apply_masks",
    "clone_folded", "cubic_sparsity", "folded_state_dict", "iterative_pruning", "load_pruned",
    "population_masks", "prunable_weights", "remove_masks", "rewind", "save_pruned", "sparsity",
]
