"""make test's ``--dist loadgroup`` keeps each ``xdist_group`` on one
worker (its tests share one expensive run): xdist names a grouped test
``NODEID@GROUP``, which tests/conftest.py restores on pytest 9.2 through
pytest's private ``_pytest.nodeid.NodeId`` (pytest-xdist#1386)."""
import pytest


@pytest.mark.xdist_group('xdist_group_check')
def test_a_grouped_test_is_named_by_its_group(request):
    if not getattr(request.config.option, 'loadgroup', False):
        pytest.skip('only under --dist loadgroup (make test)')
    assert request.node.nodeid.endswith('@xdist_group_check')
