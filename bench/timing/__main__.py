"""``python -m bench.timing --worker``: a timing worker process (:mod:`bench.timing.worker`)."""

import sys

from bench.timing.worker import worker_main

if sys.argv[1:] == ["--worker"]:
    worker_main()
else:
    sys.exit("usage: python -m bench.timing --worker (started by ignet-bench timing)")
