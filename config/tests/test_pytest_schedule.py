"""The suite's parallel scheduling (config/pytest_schedule.py): a worker that finishes quick
tests never gathers a queue that it would later run alone while the others have stopped."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby
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


def test_a_worker_keeps_to_one_modules_tests_and_shares_a_block_only_at_the_end():
    scheduler = BoundedLoadScheduling(Options(tx=["3*popen"], maxschedchunk=4))
    modules = {"a": 40, "b": 12, "c": 12, "d": 6, "a_again": 3}
    collection = [
        f"{name.removesuffix('_again')}.py::test_{i}"
        for name, count in modules.items()
        for i in range(count)
    ]
    workers = [Worker(f"gw{n}") for n in range(3)]
    for worker in workers:
        scheduler.add_node(worker)
        scheduler.add_node_collection(worker, collection)
    scheduler.schedule()

    # Every worker finishes one test after the other, in turn.
    while scheduler.pending:
        for worker in workers:
            if scheduler.node2pending[worker]:
                scheduler.mark_test_complete(worker, scheduler.node2pending[worker][0])
    runs = {
        worker.name: [
            (module, len(list(tests)))
            for module, tests in groupby(collection[i].split("::")[0] for i in worker.given)
        ]
        for worker in workers
    }

    # Each worker took a module of its own (xdist's own scheduler deals four tests to each in
    # turn); d.py went to the first worker free, a.py's last three (a block of their own, after
    # the others) to the next; a.py's first block was shared only once no other was left.
    assert runs == {
        "gw0": [("a.py", 25)],
        "gw1": [("b.py", 12), ("d.py", 6), ("a.py", 6)],
        "gw2": [("c.py", 12), ("a.py", 3 + 9)],
    }
    assert sorted(index for worker in workers for index in worker.given) == list(range(73))
