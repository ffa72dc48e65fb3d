"""One rank of a training job under the Slurm stand-ins
(tests/helpers/slurm.py): the real PreemptionHook over a real gloo group of
``SLURM_NTASKS`` processes, around a training loop that only sleeps.

Each rank touches ``$SLURM_CALLS.ready<rank>`` after its first iteration.
On a forwarded signal the hook stops every rank after the same iteration,
the checkpoint hook stand-in writes ``$SLURM_CALLS.checkpoint``, rank 0
requeues the job, and every rank exits with status 75. Rank 0 then takes a
second longer to leave, as a real rank 0 does (logging, workers, the
process group), so that srun's --kill-on-bad-exit finds it still there.
"""
import logging
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import torch.distributed as dist
from mmengine.hooks import CheckpointHook

from inceptionnext_seg.engine.hooks.preemption_hook import PreemptionHook


class Checkpoint(CheckpointHook):

    def _save_checkpoint(self, runner):
        Path(os.environ['SLURM_CALLS'] + '.checkpoint').write_text(
            str(runner.iter + 1))


def main():
    rank = int(os.environ['SLURM_PROCID'])
    dist.init_process_group('gloo', rank=rank,
                            world_size=int(os.environ['SLURM_NTASKS']))
    hook = PreemptionHook()
    loop = SimpleNamespace(stop_training=False)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    runner = SimpleNamespace(
        iter=0, max_iters=10_000, rank=rank, launcher='slurm',
        train_loop=loop, hooks=[Checkpoint(interval=10_000)],
        logger=logging.getLogger(f'rank{rank}'),
        message_hub=SimpleNamespace(get_info=lambda key: None))
    hook.before_train(runner)
    calls = os.environ['SLURM_CALLS']
    while not loop.stop_training:
        time.sleep(0.05)
        hook.after_train_iter(runner, runner.iter)
        if runner.iter == 0:
            Path(f'{calls}.ready{rank}').touch()
        runner.iter += 1
    try:
        hook.after_run(runner)
    finally:
        if rank == 0:
            time.sleep(1)


if __name__ == '__main__':
    main()
