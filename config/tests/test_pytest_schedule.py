"""The suite's parallel scheduling (config/pytest_schedule.py): a worker that finishes quick
tests never gathers a queue that it would later run alone while the others have stopped."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from config.pytest_schedule import BoundedLoadScheduling


@dataclass(eq=False)
class Worker:
    """What the scheduler sees of a pytest-xdist worker."""

    name: str
    given: list[int] = field(default_factory=list)
    shutting_down: bool = False

    @property
    def gateway(self) -> SimpleNamespace:
        return SimpleNamespace(id=self.name)

    def send_runtest_some(self, indices: list[int]) -> None:
        self.given.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


class Options:
    def __init__(self, **values: object) -> None:
        self.values = values

    def getvalue(self, name: str) -> object:
        return self.values[name]

    getoption = getvalue


def test_at_most_the_chunk_waits_on_a_worker_and_the_run_ends_with_little_on_each():
    scheduler = BoundedLoadScheduling(Options(tx=["2*popen"], maxschedchunk=4))
    quick, stuck = Worker("gw0"), Worker("gw1")
    for worker in (quick, stuck):
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, [f"test_{i}" for i in range(1000)])
    scheduler.schedule()

    # gw1 is held by a slow test; gw0 finishes one quick test after another.
    most_waiting = 0
    while scheduler.pending:
        scheduler.mark_test_complete(quick, scheduler.node2pending[quick][0], duration=0.01)
        most_waiting = max(most_waiting, len(scheduler.node2pending[quick]))

    assert most_waiting <= 4
    assert len(scheduler.node2pending[stuck]) <= 4
    assert len(quick.given) + len(stuck.given) == 1000
    assert quick.shutting_down is False  # it still finishes what it holds
    scheduler.mark_test_complete(quick, scheduler.node2pending[quick][0])
    assert quick.shutting_down is True
