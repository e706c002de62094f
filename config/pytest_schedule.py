"""pytest-xdist's load scheduling with a bound on what waits on each worker
(docs/architecture.md, "Eleventh round: the last worker alone"), handing each worker whole runs
of one module's tests (docs/architecture.md, "Twelfth round: a module's tests on one worker").

xdist's ``--dist load`` hands each worker at most ``--maxschedchunk`` tests at a time, but
hands them again after every test the worker finishes while fewer than a quarter of the
remaining tests per worker wait on it: a worker finishing quick tests gathers a queue of a
hundred or more. When such a queue ends in the slow tests (browsers, live servers, which
pytest-django orders last), that worker runs them alone after the others have finished and
stopped: two of the three workers of `.ci/run`'s SQLite pass stopped 128 s before the third.

Here at most ``--maxschedchunk`` tests (the one running included) wait on a worker; the
others stay with the controller for whichever worker is free first, so the run ends with at
most that many tests on each worker.

xdist hands out the next tests in the collection's order, so with a small bound a module's
tests were dealt over every worker in turn, and each worker built the module's shared rows
(``ModuleRows`` in supportal/conftest.py: the cast, the URL walks' world) again. Here a worker
keeps taking tests from the run of one module's consecutive tests it is on (a *block*); when
that is done it takes the first block in the collection's order that no other worker is on,
and only when every block left is some worker's does it share the one with most tests left.
"""

from __future__ import annotations

from collections import deque

from xdist.scheduler import LoadScheduling
from xdist.workermanage import WorkerController


def block_numbers(nodeids: list[str]) -> list[int]:
    """For each test of the collection, the number of its block: consecutive tests of one
    module share a block; a module whose tests the collection splits (pytest-django orders
    the tests on committed rows after the others) has one block for each part."""
    numbers: list[int] = []
    block, module = -1, None
    for nodeid in nodeids:
        this = nodeid.split("::", 1)[0]
        if this != module:
            block, module = block + 1, this
        numbers.append(block)
    return numbers


class BoundedLoadScheduling(LoadScheduling):
    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        # The pending tests by block, in order, and how many; the block each worker is on.
        self._blocks: dict[int, deque[int]] = {}
        self._in_blocks = 0
        self._block_of_node: dict[WorkerController, int] = {}

    def check_schedule(self, node: WorkerController, duration: float = 0) -> None:
        if node.shutting_down:
            return
        if not self.pending:
            node.shutdown()
            return
        waiting = len(self.node2pending[node])
        if waiting < self.maxschedchunk:
            self._send_tests(node, self.maxschedchunk - waiting)

    def _send_tests(self, node: WorkerController, num: int) -> None:
        chosen = self._choose(node, num)
        if chosen:
            for index in chosen:
                self.pending.remove(index)
            self.node2pending[node].extend(chosen)
            node.send_runtest_some(chosen)

    def _choose(self, node: WorkerController, num: int) -> list[int]:
        """Up to ``num`` pending tests for ``node``: the rest of its block, then the next."""
        if self._in_blocks != len(self.pending):
            self._sort_pending()
        blocks = self._blocks
        chosen: list[int] = []
        while len(chosen) < num and blocks:
            block = self._block_of_node.get(node)
            if block not in blocks:
                block = self._block_of_node[node] = self._next_block(node)
            tests = blocks[block]
            while tests and len(chosen) < num:
                chosen.append(tests.popleft())
            if not tests:
                del blocks[block]
        self._in_blocks -= len(chosen)
        return chosen

    def _next_block(self, node: WorkerController) -> int:
        blocks = self._blocks
        others = {block for other, block in self._block_of_node.items() if other is not node}
        free = [block for block in blocks if block not in others]
        if free:
            return min(free)
        return max(blocks, key=lambda block: (len(blocks[block]), -block))

    def _sort_pending(self) -> None:
        """Sort the pending tests into blocks: at the first hand-out, and whenever ``pending``
        changed other than by this scheduler (xdist puts a crashed worker's tests back)."""
        assert self.collection is not None
        number = block_numbers(self.collection)
        self._blocks = {}
        for index in sorted(self.pending):
            self._blocks.setdefault(number[index], deque()).append(index)
        self._in_blocks = len(self.pending)
