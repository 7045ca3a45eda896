"""``retain_freed_memory``: applied on glibc, off with ``NPLEARN_KEEP_MEMORY=0``, no number changed."""
import platform
import subprocess
import sys

import pytest

CODE = "from nplearn.train.memory import retain_freed_memory as r; print(r(), r())"


def run(env_value=None):
    import os
    env = dict(os.environ)
    env.pop("NPLEARN_KEEP_MEMORY", None)
    if env_value is not None:
        env["NPLEARN_KEEP_MEMORY"] = env_value
    return subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True,
                          text=True, check=True).stdout.split()


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt is glibc's")
def test_applied_once_on_glibc_and_off_by_environment():
    assert run() == ["True", "True"]
    assert run("0") == ["False", "False"]
