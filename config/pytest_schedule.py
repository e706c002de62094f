"""pytest-xdist's load scheduling with a bound on what waits on each worker
(docs/architecture.md, "Eleventh round: the last worker alone").

xdist's ``--dist load`` hands each worker at most ``--maxschedchunk`` tests at a time, but
hands them again after every test the worker finishes while fewer than a quarter of the
remaining tests per worker wait on it: a worker finishing quick tests gathers a queue of a
hundred or more. When such a queue ends in the slow tests (browsers, live servers, which
pytest-django orders last), that worker runs them alone after the others have finished and
stopped: two of the three workers of `.ci/run`'s SQLite pass stopped 128 s before the third.

Here at most ``--maxschedchunk`` tests (the one running included) wait on a worker; the
others stay with the controller for whichever worker is free first, so the run ends with at
most that many tests on each worker.
"""

from __future__ import annotations

from xdist.scheduler import LoadScheduling
from xdist.workermanage import WorkerController


class BoundedLoadScheduling(LoadScheduling):
    def check_schedule(self, node: WorkerController, duration: float = 0) -> None:
        if node.shutting_down:
            return
        if not self.pending:
            node.shutdown()
            return
        waiting = len(self.node2pending[node])
        if waiting < self.maxschedchunk:
            self._send_tests(node, self.maxschedchunk - waiting)
