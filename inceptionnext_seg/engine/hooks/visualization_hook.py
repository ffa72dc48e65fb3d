"""mmseg's drawing hook at test time without a training set
(``tools/test.py --show-dir``), writing the pictures straight into the
folder given, one per image, each pane captioned."""
import os

import mmcv
from mmengine import fileio
from mmseg.engine.hooks import SegVisualizationHook
from mmseg.registry import HOOKS

__all__ = ['TestVisualizationHook']


@HOOKS.register_module()
class TestVisualizationHook(SegVisualizationHook):
    """mmseg's ``SegVisualizationHook`` that works without a training set.

    mmseg 1.2.2 passes ``runner.iter`` as the step of each drawing; at test
    time that builds the training loop and its dataset, so
    ``test.py --show-dir`` fails on a machine that has only the validation
    images. Test drawings here use step 0 (file names stay unique).

    mmengine's visualizer draws in the first process only (its drawing
    methods are ``master_only``): a test on N processes draws 1/N of the
    images, which the hook says at the start instead of leaving it to be
    found in the folder.

    Where the visualizer has a ``save_dir`` (``--show-dir DIR``), each
    picture is ``DIR/<image name>.png``, not mmengine's
    ``DIR/vis_data/vis_image/test_<image name>_0.png``, with a caption over
    each pane (``ContiguousSegLocalVisualizer``).
    """

    def before_test(self, runner) -> None:
        if self.draw and runner.world_size > 1 and runner.rank == 0:
            runner.logger.warning(
                f'--show-dir / the visualization hook draws only the images '
                f'of the first of the {runner.world_size} processes '
                f"(mmengine's visualizer draws on rank 0): about 1/"
                f'{runner.world_size} of the test set. Test with one process '
                f'(tools/test.py) to draw every image.')

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs=None) -> None:
        if not self.draw:
            return
        for output in outputs:
            img_bytes = fileio.get(output.img_path,
                                   backend_args=self.backend_args)
            img = mmcv.imfrombytes(img_bytes, channel_order='rgb')
            save_dir = runner.cfg.get('visualizer', {}).get('save_dir')
            name = os.path.splitext(os.path.basename(output.img_path))[0]
            self._visualizer.add_datasample(
                f'test_{os.path.basename(output.img_path)}', img,
                data_sample=output, show=self.show,
                wait_time=self.wait_time, step=0,
                out_file=os.path.join(save_dir, f'{name}.png')
                if save_dir else None)
