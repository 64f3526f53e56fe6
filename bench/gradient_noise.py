"""The gradient_noise claim's training step: its 20 runs one at a time against one population.

The claim trains 4 arms (plain SGD and noisy SGD at eta 0.01, 0.3, 1.0) x 5 seeds of a 20-layer,
width-50 ReLU MLP on MNIST-1D (batch 100). This script times, on the claim's own configs:

- ``trainer``: one run's training step with the single-model ``Trainer`` (a noise arm), times 20
  for the 20 runs trained one after another (what ``train_arm`` did);
- ``population``: one step of the 20 runs as one ``Population`` (the MLP kernel, each member's
  gradient noise drawn from its own generator).

Each repeat times ``--steps`` steps of both, in alternating order (the machine's speed drifts);
the table shows the median of the per-step costs and their ratio. Run it as::

    OMP_NUM_THREADS=1 python bench/gradient_noise.py --steps 200 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import time

from neuralab.claims.optimization.gradient_noise import arm_configs
from neuralab.engine.population import Population
from neuralab.engine.trainer import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = arm_configs(10**6, 5000, range(5))
    population = Population([c for _, _, c in runs])
    single = runs[2][2]  # noise/eta=0.3, seed 0
    trainer = Trainer(single.model_copy(update={"train": single.train.model_copy(
        update={"eval_every": 0})}), progress="none")
    trainer.model.train()

    def trainer_step() -> None:
        trainer._train_step(1.0, check=True)

    steps = {"trainer": trainer_step, "population": population.train_step}
    for step in steps.values():  # warm up
        for _ in range(10):
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for r in range(args.repeats):
        for name in (list(steps) if r % 2 == 0 else list(steps)[::-1]):
            start = time.perf_counter()
            for _ in range(args.steps):
                steps[name]()
            times[name].append((time.perf_counter() - start) / args.steps * 1000)
    one, pop = statistics.median(times["trainer"]), statistics.median(times["population"])
    print(f"{'system':<12} {'ms per step (median)':>22} {'20 runs, ms per step':>22}")
    print(f"{'trainer':<12} {one:>22.2f} {20 * one:>22.1f}")
    print(f"{'population':<12} {pop:>22.2f} {pop:>22.1f}")
    print(f"population speed-up on the claim's 20 runs: {20 * one / pop:.2f}x")


if __name__ == "__main__":
    main()
