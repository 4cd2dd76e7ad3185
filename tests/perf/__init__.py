"""Benchmarks of the hall queue: ``python -m tests.perf`` (``make perf``) prints the figures.

These are measurements, not tests: pytest never collects this folder (``--ignore=tests/perf``
in pyproject). ``tests/test_perf_smoke.py`` runs every benchmark at a tiny size so the code
here keeps working, and checks only that figures come out, never how fast anything is.

- ``load.py``        the load generator, a process of its own: kiosks and counters over HTTP
- ``throughput.py``  figure 1: queue operations per second against ``hall serve`` (SQLite,
                     PostgreSQL, two servers on one PostgreSQL)
- ``calling.py``     figure 2: call-next with 5,000 waiting (HTTP), and the core's call-next
                     decision at 500, 5,000 and 50,000 waiting
- ``rebuild.py``     figure 3: rebuilding a hall from 100,000 recorded events
- ``common.py``      the figure table, the machine, scratch databases and servers
- ``bench.toml``     the benchmark hall: the demo hall without daily caps
"""
