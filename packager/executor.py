"""Where render tasks run: on this machine (one pool sized to its cores, shared by artwork
and clips) or on a Dask cluster (the `dask` extra). A task is a module-level function of
bytes and settings that returns bytes and metadata: output names are content hashes made
before submission, and a task never touches dist/ or the channel folder, so where it ran
can't change the bytes. Its arguments are made just before it is sent, and at most a
window of tasks is in flight, so a whole archive's photos are never all in memory."""

from __future__ import annotations

import os
import re
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator, Sized
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from queue import Empty, SimpleQueue
from typing import Any, Callable

from packager.errors import ConfigError, PackagerError

EXECUTORS = ("local", "dask")
SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
CONNECT_SECONDS = 5  # an unreachable scheduler fails the command after this, whatever answers on its port
WORKER_WAIT_SECONDS = 30  # a scheduler without workers (or one that lost them all) fails after this
# What Dask's comms take: [protocol://]host[:port] (tcp, tls, ws, wss, ucx).
_ADDRESS = re.compile(r"(?:(?:tcp|tls|ws|wss|ucx)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)(?::(\d{1,5}))?/?")


@dataclass(frozen=True)
class Task:
    key: Any  # the caller's handle for the result
    fn: Callable  # module-level and pure: a worker imports it by name
    args: Callable[[], tuple]  # makes the arguments when the task is sent (reads the bytes then)


class Executor:
    """Runs tasks, counts where each ran, and shows a progress line on a terminal."""

    def __init__(self):
        self.ran: Counter = Counter()  # (what, where) -> tasks finished
        self.refused: Counter = Counter()  # what -> tasks that finished with a refusal (a bad photo)

    def run(self, tasks: Iterable[Task], what: str, refused: Callable[[Any], bool] | None = None
            ) -> Iterator[tuple[Any, Any]]:
        """(key, result) as tasks finish; `tasks` may be a generator, drawn from only while
        fewer than a window of tasks are in flight. A task whose arguments can't be made (a
        file gone since it was hashed) gives its OSError as the result. `refused(result)`
        tells a refusal (a photo too small) from a rendering, for the summary's counts."""
        total = len(tasks) if isinstance(tasks, Sized) else None
        pending, inflight, finished = iter(tasks), {}, SimpleQueue()
        done_count, exhausted = 0, False
        window = self.window()
        while not exhausted or inflight:
            while not exhausted and len(inflight) < window:
                task = next(pending, None)
                if task is None:
                    exhausted = True
                    break
                try:
                    args = task.args()
                except OSError as e:  # never sent: neither rendered nor refused in the counts
                    yield task.key, e
                    continue
                future = self.submit(task.fn, args)
                inflight[future] = task.key
                future.add_done_callback(finished.put)
            if not inflight:
                continue
            future = self.next_finished(finished)
            if future in inflight:
                key = inflight.pop(future)
                where, result = self.result(future)
                self.ran[what, where] += 1
                if refused is not None and refused(result):
                    self.refused[what] += 1
                done_count += 1
                _progress(done_count, total, what)
                yield key, result
        _progress(None, total, what)

    def summary(self) -> str:
        """How many tasks rendered, and where; refusals (skipped above) counted apart."""
        whats = Counter()
        for (what, _), n in self.ran.items():
            whats[what] += n
        whats.subtract(self.refused)

        def counted(counts) -> str:
            return " and ".join(f"{n} {what}{'s' * (n != 1)}"
                                for what, n in sorted(counts.items(), key=lambda x: x[0], reverse=True))

        refused = {what: n for what, n in self.refused.items() if n}
        return (f"rendered {counted({w: max(n, 0) for w, n in whats.items()})} {self.describe()}"
                + (f"; {counted(refused)} refused (skipped above)" if refused else ""))

    # ---- what a kind of executor provides
    def next_finished(self, finished: SimpleQueue):
        return finished.get()

    def result(self, future):
        return future.result()

    def window(self) -> int:
        raise NotImplementedError

    def submit(self, fn, args: tuple):
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _progress(done: int | None, total: int | None, what: str) -> None:
    if total == 0 or not sys.stderr.isatty():
        return
    if done is None:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    else:
        print(f"\rrendering {what}s: {done}{f'/{total}' if total else ''} tasks done", end="", file=sys.stderr, flush=True)


def _here(fn, args: tuple):
    return "local", fn(*args)


class LocalExecutor(Executor):
    """One pool of threads sized to the cores, shared by artwork and clips (Pillow and the
    encoder release the GIL). A clip task's encoder runs on its own thread, so a clip is
    one slot, and a few clips keep every core busy."""

    def __init__(self, jobs: int | None = None):
        super().__init__()
        self.slots = max(1, jobs or os.cpu_count() or 1)
        self.pool = ThreadPoolExecutor(max_workers=self.slots, thread_name_prefix="render")

    def window(self) -> int:
        return 2 * self.slots

    def submit(self, fn, args: tuple):
        return self.pool.submit(_here, fn, args)

    def describe(self) -> str:
        return f"here ({self.slots} slot{'s' * (self.slots != 1)})"

    def close(self) -> None:
        self.pool.shutdown(wait=True)


def _on_worker(fn, *args):
    from distributed import get_worker  # noqa: PLC0415 (runs on a Dask worker)

    try:
        where = get_worker().address
    except ValueError:  # not on a worker (a client-side fallback): still count it
        where = "client"
    return where, fn(*args)


class DaskExecutor(Executor):
    """Tasks go to a Dask scheduler; a worker that dies mid-task is the scheduler's to
    reschedule (the task is pure, so a rerun gives the same bytes)."""

    def __init__(self, address: str):
        super().__init__()
        try:
            from distributed import Client  # noqa: PLC0415 (heavy, and an optional extra)
        except ImportError:
            raise ConfigError("--executor dask needs Dask's distributed client: "
                              "pip install 'roku-packager[dask]'") from None
        self.address = address
        m = _ADDRESS.fullmatch(address.strip())
        if not m or (m.group(2) and not 0 < int(m.group(2)) < 65536):
            # Dask's own parsing of a malformed address fails late and noisily (a 10 s wait, then
            # "Exception ignored in Client.__del__"), so it never sees one.
            raise ConfigError(f"the Dask scheduler address {address!r} is not one: give it like tcp://host:8786 "
                              f"(--scheduler, [render] scheduler or {SCHEDULER_ENV})")
        self.client = _connect(Client, address.strip())
        self._wait_for_workers()

    def _wait_for_workers(self) -> None:
        if self._threads():
            return
        print(f"waiting up to {WORKER_WAIT_SECONDS} s for a worker to join the Dask scheduler at {self.address}",
              file=sys.stderr, flush=True)
        deadline = time.monotonic() + WORKER_WAIT_SECONDS
        while not self._threads():
            if time.monotonic() > deadline:
                self.close()
                raise ConfigError(f"the Dask scheduler at {self.address} has no workers (waited {WORKER_WAIT_SECONDS} s): "
                                  f"start some with `dask worker {self.address}`")
            time.sleep(0.25)

    def _threads(self) -> int:
        try:
            return sum(self.client.nthreads().values())
        except Exception:  # the scheduler went away: the same as no workers, for the wait
            return 0

    def next_finished(self, finished: SimpleQueue):
        """The next finished task; a cluster whose workers are all gone (and none come back
        within WORKER_WAIT_SECONDS) stops the build instead of waiting for ever."""
        idle_since = None
        while True:
            try:
                return finished.get(timeout=1.0)
            except Empty:
                pass
            if self._threads():
                idle_since = None
            elif idle_since is None:
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since > WORKER_WAIT_SECONDS:
                raise PackagerError(f"the Dask cluster at {self.address} has had no workers for "
                                    f"{WORKER_WAIT_SECONDS} s; start some with `dask worker {self.address}`, then "
                                    "build again (what rendered is kept)")

    def window(self) -> int:
        # Enough in flight that no worker waits for a round trip between short tasks.
        threads = sum(self.client.nthreads().values())
        return max(16, 4 * threads)

    def submit(self, fn, args: tuple):
        # Named after the task's function (render_clip_task-…), for the dashboard.
        return self.client.submit(_on_worker, fn, *args, key=f"{fn.__name__}-{uuid.uuid4().hex}")

    def result(self, future):
        from distributed import KilledWorker  # noqa: PLC0415 (heavy, and an optional extra)

        try:
            return future.result()
        except KilledWorker as e:  # the scheduler gave up on the task: a crash, not a bad input
            raise PackagerError(f"a render task took down every Dask worker it ran on ({e}); "
                                "check the workers' logs (out of memory?)") from None

    def describe(self) -> str:
        by_worker = Counter()
        for (_, where), n in self.ran.items():
            by_worker[where] += n
        spread = ", ".join(f"{n} on {w}" for w, n in sorted(by_worker.items()))
        return f"on the Dask cluster at {self.address}" + (f" ({spread})" if spread else "")

    def close(self) -> None:
        self.client.close()


def _connect(client_class, address: str):
    """A Client within CONNECT_SECONDS, whatever answers on the port: Dask's own timeout
    doesn't cover a peer that accepts the connection and never speaks, so the connection is
    made on a thread of its own and left behind at the deadline."""
    class _Client(client_class):
        def __del__(self):  # closed explicitly; a half-made one has nothing to close
            pass

    made: dict = {}
    done = threading.Event()

    def connect():
        try:
            # Dask's own timeout a little shorter, so its reason (refused, no route) comes back in time.
            made["client"] = _Client(address, timeout=f"{CONNECT_SECONDS - 1}s", set_as_default=False)
        except Exception as e:  # OSError, TimeoutError: handed to the waiting thread
            made["error"] = e
        finally:
            done.set()

    threading.Thread(target=connect, name="roku-packager-dask-connect", daemon=True).start()
    done.wait(CONNECT_SECONDS)
    if "client" in made:
        return made["client"]
    e = made.get("error")
    if e is None:
        reason = f"no answer within {CONNECT_SECONDS} s"
    elif not isinstance(e, OSError):  # garbage read as a frame length, a handshake of another shape
        reason = "what answers on that port isn't a Dask scheduler"
    else:
        reason = str(e).splitlines()[0] if str(e) else type(e).__name__
    raise ConfigError(f"can't reach the Dask scheduler at {address} ({reason}); start one with "
                      "`dask scheduler`, or check --scheduler, [render] scheduler and "
                      f"{SCHEDULER_ENV}")


def open_executor(name: str | None, scheduler: str | None, render=None, jobs: int | None = None) -> Executor:
    """The executor a build asked for: --executor, else [render] executor; for dask, the
    scheduler from --scheduler, else DASK_SCHEDULER_ADDRESS, else [render] scheduler."""
    name = name or (render.executor if render is not None else "local")
    if name not in EXECUTORS:
        raise ConfigError(f"--executor {name}: use one of {', '.join(EXECUTORS)}")
    if name == "local":
        return LocalExecutor(jobs)
    address = scheduler or os.environ.get(SCHEDULER_ENV) or (render.scheduler if render is not None else None)
    if not address:
        raise ConfigError(f"--executor dask needs the scheduler's address: --scheduler tcp://host:8786, "
                          f"[render] scheduler in channel.toml, or {SCHEDULER_ENV}")
    return DaskExecutor(address)
