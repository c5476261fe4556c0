"""A ceiling on what one task may add to its process's memory, so that bad input fails its own task.

Why a ceiling inside the task as well as Celery's worker_max_memory_per_child (settings): Celery measures a child
only after a task has finished, so a task that balloons (an upload crafted to expand) still runs to the end, and
on the way the kernel's out-of-memory killer may take the worker, or a neighbour on the same machine. With the
address space limited (RLIMIT_AS) while the task runs, the allocation that would pass the ceiling raises
MemoryError in the task instead, which the task reports on its record; the limit is lifted again afterwards.
"""

import os
import resource
from collections.abc import Iterator
from contextlib import contextmanager

STATM = "/proc/self/statm"  # Linux: the first figure is the process's address space, in pages


def address_space() -> int | None:
    """This process's address space in bytes, or None where the system does not say (or enforce RLIMIT_AS)."""
    try:
        with open(STATM) as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


@contextmanager
def memory_ceiling(budget: int) -> Iterator[None]:
    """Let the process's address space grow by at most `budget` bytes inside the block (0: no ceiling).

    The limit is the process's: in a prefork worker (production) a child runs one task at a time; in a thread
    pool the other threads share the ceiling while the block runs. Address space counts reserved memory too, so
    the budget is larger than what the task would hold resident.
    """
    size = address_space()
    if not budget or size is None:
        yield
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    ceiling = size + budget
    for existing in (soft, hard):
        if existing != resource.RLIM_INFINITY:
            ceiling = min(ceiling, existing)
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
