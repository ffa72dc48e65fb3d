"""The class-pixel picture of tools/analysis_tools/check_dataset.py: classes
of similar size on a linear axis from 0 (a log axis cut at the smallest class
made 181k pixels look empty next to 248k), a log axis only for a wide span."""
from inceptionnext_seg.visualization.class_frequencies import (
    plot_class_pixels, uses_log_scale)


def test_close_counts_are_linear_from_zero_and_wide_spans_log(tmp_path,
                                                              monkeypatch):
    from matplotlib.axes import Axes
    drawn = {}
    set_ylim = Axes.set_ylim

    def spy(self, *args, **kwargs):
        result = set_ylim(self, *args, **kwargs)
        drawn.update(scale=self.get_yscale(), ylim=self.get_ylim())
        return result

    monkeypatch.setattr(Axes, 'set_ylim', spy)
    assert not uses_log_scale([181_000, 248_000, 0])
    plot_class_pixels(['road', 'sky', 'car'], [181_000, 248_000, 0],
                      str(tmp_path / 'close.png'))
    assert (tmp_path / 'close.png').stat().st_size > 0
    assert drawn['scale'] == 'linear' and drawn['ylim'][0] == 0
    assert uses_log_scale([50, 248_000])
    plot_class_pixels(['pole', 'sky'], [50, 248_000],
                      str(tmp_path / 'wide.png'))
    assert drawn['scale'] == 'log' and drawn['ylim'][0] == 5
