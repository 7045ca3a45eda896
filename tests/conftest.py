import os

import numpy as np
import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(scope="session", autouse=True)
def one_blas_thread_per_xdist_worker():
    """Under pytest-xdist every worker is a process: one BLAS/OpenMP thread each keeps
    2 workers on 2 cores from fighting over them (the tests use small matrices)."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        with threadpool_limits(1):
            yield
    else:
        yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)
