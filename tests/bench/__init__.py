"""golive benchmarks: ``python -m tests.bench`` (``make bench``); never collected by pytest."""
