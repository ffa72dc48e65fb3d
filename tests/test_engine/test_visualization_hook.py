"""TestVisualizationHook on several processes: mmengine's visualizer draws
on rank 0 only, which the hook says at the start of the test."""
import logging

from inceptionnext_seg.engine.hooks import TestVisualizationHook


class _Runner:

    def __init__(self, rank, world_size, records):
        self.rank, self.world_size = rank, world_size
        self.logger = logging.getLogger(f'vis_hook_test_{rank}')
        self.logger.addHandler(_Keep(records))


class _Keep(logging.Handler):

    def __init__(self, records):
        super().__init__()
        self.records = records

    def emit(self, record):
        self.records.append(record.getMessage())


def test_a_test_on_several_processes_says_that_rank_0_draws_alone():
    from mmengine.visualization import Visualizer
    Visualizer.get_instance('vis_hook_test')  # the hook takes the current
    hook = TestVisualizationHook(draw=True)
    records = []
    hook.before_test(_Runner(0, 8, records))
    assert len(records) == 1 and 'first of the 8 processes' in records[0]
    assert 'about 1/8 of the test set' in records[0]
    quiet = []
    hook.before_test(_Runner(0, 1, quiet))  # one process draws everything
    hook.before_test(_Runner(3, 8, quiet))  # said once, by rank 0
    TestVisualizationHook(draw=False).before_test(_Runner(0, 8, quiet))
    assert quiet == []
