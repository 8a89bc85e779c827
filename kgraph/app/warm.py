"""Run the dashboard's script once as soon as its server is up, so that the first visitor finds
the graph already read (at 10,000 episodes that takes about 20 s) and the caches filled.

Streamlit runs the script for its script-health-check endpoint in the server process, so the
caches that run fills (st.cache_resource, st.cache_data) are the ones visitors use; a visitor
arriving meanwhile waits on the same cache entry instead of reading the graph a second time.
"""

from __future__ import annotations

import os
import sys
import time
import urllib.request

__all__ = ["warm_up_later", "server_url", "ENV"]

ENV = {"STREAMLIT_SERVER_SCRIPT_HEALTH_CHECK_ENABLED": "true"}  # the server setting the warm-up needs


def server_url(host: str, port: int) -> str:
    """Where this machine reaches a server bound to host (any address: the loopback one)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def warm_up_later(url: str, wait: float = 120.0, run: float = 900.0) -> None:
    """Leave a detached process behind that waits (at most `wait` s) for the server at url to
    answer, has it run the script once (at most `run` s), says so on stderr and exits."""
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)  # the middle process leaves at once: the warmer is nobody's zombie
        return
    try:
        if os.fork() == 0:
            _warm(url, wait, run)
    finally:
        os._exit(0)


def _warm(url: str, wait: float, run: float) -> None:
    fetch = urllib.request.build_opener(urllib.request.ProxyHandler({})).open  # never via a proxy
    deadline = time.monotonic() + wait
    while True:
        try:
            with fetch(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            return  # the server did not come up: it has said why
        time.sleep(0.2)
    start = time.monotonic()
    try:
        with fetch(url + "/_stcore/script-health-check", timeout=run) as r:
            ok = r.status == 200
    except OSError:
        ok = False
    took = time.monotonic() - start
    sys.stderr.write(
        f"kgraph dashboard: ready, the graph read ahead of the first visitor ({took:.1f} s)\n" if ok else
        f"kgraph dashboard: reading the graph ahead of the first visitor did not finish ({took:.1f} s); "
        "the first visitor reads it\n"
    )
    sys.stderr.flush()
