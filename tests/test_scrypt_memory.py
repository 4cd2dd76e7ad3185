"""A password check's 16 MB goes back to the system afterwards, whichever thread did it
(``config.crypto.return_scrypt_memory``; the server calls it when it starts)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from tests.support import ROOT

_CHILD = """
import sys, threading
from pathlib import Path
from config.crypto import hash_password, return_scrypt_memory, verify_password

stored = hash_password("x")
if sys.argv[1] == "returned":
    assert return_scrypt_memory()

def rss_kb() -> int:
    line = next(l for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmRSS:"))
    return int(line.split()[1])

before = rss_kb()
together = threading.Barrier(4)

def sign_in() -> None:
    together.wait()  # at once, so each thread has a malloc arena of its own
    assert verify_password("x", stored)

threads = [threading.Thread(target=sign_in) for _ in range(4)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print((rss_kb() - before) // 1024)
"""


def _grown_mb(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", _CHILD, mode], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc")
def test_sign_ins_in_several_threads_keep_no_memory() -> None:
    assert _grown_mb("kept") >= 32  # what it fixes: 16 MB kept in each new thread's arena
    assert _grown_mb("returned") < 8
