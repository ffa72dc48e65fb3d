"""What a long tool says before it starts (tools/misc/demo.py,
tools/analysis_tools/benchmark.py): the measured times per CPU kind, this
machine's CPUs and vector unit, and on a busy machine by how much longer."""
from inceptionnext_seg.utils import expected_time as module


def test_a_quiet_machine_gets_the_measured_times(monkeypatch):
    monkeypatch.setattr(module, 'usable_cpus', lambda: 2)
    monkeypatch.setattr(module, 'vector_unit', lambda: 'AVX2')
    monkeypatch.setattr(module.os, 'getloadavg', lambda: (1.5, 1.0, 1.0))
    assert module.expected_time('The demo', {'AVX-512': 3.2, 'AVX2': 4.3}) \
        == ('The demo: about 3.2 min on 2 cores with AVX-512, 4.3 min on 2 '
            'cores with AVX2 (this machine: 2 CPUs, AVX2).')


def test_a_busy_machine_is_told_how_much_longer(monkeypatch):
    monkeypatch.setattr(module, 'usable_cpus', lambda: 2)
    monkeypatch.setattr(module, 'vector_unit', lambda: 'AVX-512')
    monkeypatch.setattr(module.os, 'getloadavg', lambda: (5.0, 4.0, 3.0))
    said = module.expected_time('The ladder', {'AVX-512': 4.0})
    assert said.endswith('this machine is busy (load 5.0 on 2 CPUs): expect '
                         'about 2.5 times as long.'), said


def test_the_vector_unit_is_torchs(monkeypatch):
    import torch
    for capability, unit in (('AVX512', 'AVX-512'), ('AVX2', 'AVX2'),
                             ('DEFAULT', 'neither')):
        monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability',
                            lambda c=capability: c)
        assert module.vector_unit() == unit
