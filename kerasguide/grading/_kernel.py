"""Run one submitted notebook on a fresh, limited kernel; bring its models out as files.

Private to :mod:`kerasguide.grading`. The kernel runs in the sandbox of
:mod:`kerasguide.grading._sandbox` (its folders, environment, limits and namespaces).

- **Models leave as files under a random name** chosen per run; the grader
  copies out only a regular file (opened without following links) of at most
  ``model_mb``, whose zip directory promises no more than ``model_mb`` once
  inflated, while the kernel is still alive, and loads it with ``safe_mode=True``.
  A student controls their kernel, so they can put any model in that file:
  which is no more than they could do by writing it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import stat
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kerasguide.grading import _host as host
from kerasguide.grading import _reasons
from kerasguide.grading import _sandbox as sandbox
from kerasguide.grading._assignment import Exercise, GradeLimits
from kerasguide.grading._collect import KernelLog, file_copy, model_file
from kerasguide.grading._record import CellError
from kerasguide.grading._save import report, save_cell
from kerasguide.grading._warm import RESET, warm_cell

if TYPE_CHECKING:
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbformat import NotebookNode

__all__ = ["Prepare", "Run", "kill_all", "run_notebook"]

_ACTIVE: dict[int, int] = {}  # id(run) -> kernel pid, killed on an interrupted batch
_LOCK = threading.Lock()
OUTPUT_BYTES = 8 * 2**20  # of a notebook's outputs kept for its feedback
LEAD_SECONDS = 120  # the warm-up's bound, and setup:'s (cell_seconds when longer)


@dataclass(frozen=True)
class Prepare:
    """What the assignment gives every kernel: ``files`` (read-only), ``setup`` code."""

    files: tuple[tuple[str, Path], ...] = ()
    setup: str = ""


@dataclass
class Run:
    """What happened when a notebook ran.

    ``status``: ``ok``, ``error`` (a cell raised), ``environment`` (a cell raised
    because of the grading machine), ``setup-error`` (the assignment's ``setup:``
    raised: the notebook was not run), ``timeout``, ``memory``, ``kernel-died``,
    ``invalid-notebook`` or ``grader-stopped``. ``models`` maps an exercise to its
    model file, or to why there is none (``missing: ...``, ``not-a-model: ...``).
    """

    status: str = "ok"
    reason: str = ""
    notebook: NotebookNode | None = None
    models: dict[str, Path | str] = field(default_factory=dict)
    errors: list[CellError] = field(default_factory=list)
    report: dict[str, str] | None = None
    seconds: float = 0.0
    log: str = ""


def _kernel_manager(box: sandbox.Sandbox, log: KernelLog) -> AsyncKernelManager:
    from jupyter_client.manager import AsyncKernelManager

    host_file, inside_file = box.connection_file()
    inside = str(inside_file)

    class SandboxKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", inside]
            return [*box.prefix(), *kernel, *(extra_arguments or [])]

        @property
        def kernel_spec(self):  # type: ignore[no-untyped-def]
            # bwrap does not pass signals on: interrupts go as messages (ipykernel >= 6)
            spec = super().kernel_spec
            if spec is not None:
                spec.interrupt_mode = "message"
            return spec

        async def _async_launch_kernel(self, kernel_cmd: list[str], **kw: object) -> None:
            await super()._async_launch_kernel(kernel_cmd, **kw)
            process = getattr(self.provisioner, "process", None)
            if process is not None:
                log.drain(process.stderr)
                box.attach(process)
            self.ip = str(box.inside(box.private / "run" / "k"))

    return SandboxKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(box.private / "run" / "k"),
        connection_file=str(host_file),
    )


def run_notebook(
    path: Path,
    exercises: tuple[Exercise, ...],
    limits: GradeLimits,
    *,
    trusted: bool = False,
    prepare: Prepare = Prepare(),
) -> Run:
    """Run the notebook at ``path`` in a fresh sandboxed kernel and collect its models."""
    start = time.monotonic()
    run = Run()
    nb = _read_notebook(path, run)
    if nb is None:
        return run
    with sandbox.Sandbox(limits, trusted=trusted) as box:
        box.give(box.work / path.name, path)
        font_list = host.font_list()
        if font_list is not None:
            box.give(box.private / "mpl" / font_list.name, font_list)
        for relative, source in prepare.files:
            box.lend(relative, source)
        log = KernelLog()
        _execute(nb, exercises, (box, f"kg-{secrets.token_hex(8)}", log, prepare.setup), run)
        run.log = log.text()
    run.seconds = time.monotonic() - start
    return run


def _read_notebook(path: Path, run: Run) -> NotebookNode | None:
    import nbformat

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            size = os.fstat(fd).st_size
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ValueError("it is not a regular file")
            if size > 50 * 2**20:
                raise ValueError(f"{size:,} bytes, over the 50 MB limit")
            text = _with_cell_ids(handle.read(50 * 2**20 + 1).decode("utf-8"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            nb: NotebookNode = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
        if not isinstance(nb.get("cells"), list):
            raise ValueError("it has no list of cells")
    except Exception as err:  # JSON, encoding, nbformat: all say "not a notebook"
        run.status = "invalid-notebook"
        run.reason = _reasons.invalid_notebook(err)
        return None
    return nb


def _with_cell_ids(text: str) -> str:
    """A cell without an id gets ``cell-N``, where nbformat would draw a random one
    (nbformat 4.5): the feedback page, which shows the ids, is the same on every run."""
    try:
        data = json.loads(text)
        cells = [c for c in data["cells"] if isinstance(c, dict)]
        if data.get("nbformat_minor", 0) < 5 or all("id" in c for c in cells):
            return text
    except (ValueError, TypeError, KeyError, AttributeError):
        return text  # nbformat says what is wrong with it
    taken = {str(c["id"]) for c in cells if "id" in c}
    for n, cell in enumerate(cells):
        if "id" not in cell:
            name = f"cell-{n}"
            while name in taken:
                name += "-"
            cell["id"] = name
            taken.add(name)
    return json.dumps(data)


def _execute(
    nb: NotebookNode,
    exercises: tuple[Exercise, ...],
    where: tuple[sandbox.Sandbox, str, KernelLog, str],
    run: Run,
) -> None:
    from nbformat.v4 import new_code_cell

    box, token, log, setup = where
    limits = box.limits
    sources = [str(c.get("source", "")) for c in nb.cells if c.get("cell_type") == "code"]
    lead = [warm_cell([setup, *sources]), *([f"{setup}\n{RESET}"] if setup.strip() else [])]
    for code in reversed(lead):
        nb.cells.insert(0, new_code_cell(code))  # type: ignore[no-untyped-call]
    nb.cells.append(new_code_cell(save_cell(exercises, token)))  # type: ignore[no-untyped-call]
    km = _kernel_manager(box, log)
    client = _client(nb, km, limits)
    try:
        with client.setup_kernel(
            cwd=str(box.work) if box.trusted else "/",
            env=box.environment(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        ):
            _track(run, km)
            box.seal()  # its sockets are bound; none of the student's code has run
            client.timeout = int(max(LEAD_SECONDS, limits.cell_seconds))
            if not _lead(client, nb, len(lead), run, bool(setup.strip())):
                return
            # The notebook's time starts now: TensorFlow's import and the setup are not its.
            deadline = time.monotonic() + limits.notebook_seconds
            _cells(client, nb, limits, run, len(lead), deadline=deadline, work=str(box.work))
            _save(client, nb)
            run.report = report(nb, token)
            _collect(run, exercises, box, token)  # while the kernel's files are there
    except Exception as err:  # the kernel would not start, or died while saving
        _stopped(run, err, km, limits)
    finally:
        with _LOCK:
            _ACTIVE.pop(id(run), None)
        with contextlib.suppress(Exception):
            client._cleanup_kernel()
        _close_thread_loop()
        run.notebook = nb
        if not run.models:
            run.report = report(nb, token)
            _collect(run, exercises, box, token)
        nb.cells.pop()
        del nb.cells[: len(lead)]


def _lead(client: NotebookClient, nb: NotebookNode, lead: int, run: Run, setup: bool) -> bool:
    """Run the warm-up and ``setup:`` cells, outside the notebook's time, each bounded by
    ``LEAD_SECONDS`` or ``cell_seconds``; False when the setup failed (not run further)."""
    from nbclient.exceptions import CellTimeoutError

    for index in range(lead):
        try:
            client.execute_cell(nb.cells[index], index)
        except CellTimeoutError:
            if not setup or index != lead - 1:
                raise
            run.status, run.reason = "setup-error", _reasons.setup_timeout(client.timeout or 0)
            return False
    for output in nb.cells[lead - 1].get("outputs", []) if setup else []:
        if output.get("output_type") == "error":
            ename, evalue = str(output.get("ename")), str(output.get("evalue", ""))
            run.status, run.reason = "setup-error", _reasons.setup_failed(ename, evalue)
            return False
    return True


def _client(nb: NotebookNode, km: AsyncKernelManager, limits: GradeLimits) -> NotebookClient:
    from nbclient import NotebookClient

    class BoundedClient(NotebookClient):
        """Keeps at most ``OUTPUT_BYTES`` of the student's outputs (errors always)."""

        spent = 0
        noted = False

        def output(
            self,
            outs: list[NotebookNode],
            msg: dict[str, object],
            display_id: str | None,
            cell_index: int,
        ) -> NotebookNode | None:
            if msg.get("msg_type") == "error" or cell_index == len(self.nb.cells) - 1:
                return super().output(outs, msg, display_id, cell_index)
            self.spent += len(str(msg.get("content", "")))
            if self.spent <= OUTPUT_BYTES:
                return super().output(outs, msg, display_id, cell_index)
            if not self.noted:
                self.noted = True
                from nbformat.v4 import new_output

                note = f"[kerasguide: the notebook printed over {OUTPUT_BYTES // 2**20} MB; "
                note += "the rest of its output is not kept]\n"
                outs.append(new_output("stream", name="stderr", text=note))  # type: ignore[no-untyped-call]
            return None

    return BoundedClient(
        nb,
        km=km,
        allow_errors=True,
        record_timing=False,
        # Nothing of the kernel is needed after the save cell, and its folder is deleted:
        # killing it saves the second or so that a polite shutdown (IPython, TensorFlow) takes.
        shutdown_kernel="immediate",
        timeout=int(limits.cell_seconds),
        iopub_timeout=5,
    )


def _track(run: Run, km: AsyncKernelManager) -> None:
    """Note the kernel's process, to kill it if the batch is interrupted."""
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    provisioner = km.provisioner
    if isinstance(provisioner, LocalProvisioner) and provisioner.pid is not None:
        with _LOCK:
            _ACTIVE[id(run)] = provisioner.pid


def _close_thread_loop() -> None:
    """Close the event loop nbclient left on this worker thread (and its sockets)."""
    import asyncio

    with contextlib.suppress(Exception):
        loop = asyncio.get_event_loop_policy().get_event_loop()
        if not loop.is_running() and not loop.is_closed():
            loop.close()


def _cells(
    client: NotebookClient,
    nb: NotebookNode,
    limits: GradeLimits,
    run: Run,
    lead: int,
    *,
    deadline: float,
    work: str,
) -> None:
    """Run the student's cells before ``deadline``; ``work``: their folder, as they see it."""
    # A cell over its time is interrupted (nbclient's interrupt_on_timeout), and the kernel
    # is then idle again: the save cell still runs, so earlier exercises keep their grade.
    client.interrupt_on_timeout = True
    client.error_on_timeout = {
        "ename": "TimeoutError",
        "evalue": "over the time limit",
        "traceback": [],
    }
    sources: list[str] = []
    for index, cell in enumerate(nb.cells[lead:-1], start=1):
        if cell.cell_type != "code":
            continue
        sources.append(str(cell.get("source", "")))
        left = deadline - time.monotonic()
        client.timeout = max(1, int(min(limits.cell_seconds, left)))
        start = time.monotonic()
        client.execute_cell(cell, index + lead - 1)
        if time.monotonic() - start >= client.timeout:
            whole = left < limits.cell_seconds
            run.status = "timeout"
            run.reason = (
                f"the notebook ran over its limit of {limits.notebook_seconds:g} s"
                if whole
                else f"the cell {_prompt(cell, index)} ran over its limit of "
                f"{limits.cell_seconds:g} s"
            )
            return
        _cell_errors(cell, index, run, limits, work=work, sources=sources)


def _cell_errors(
    cell: NotebookNode, index: int, run: Run, limits: GradeLimits, *, work: str, sources: list[str]
) -> None:
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        run.errors.append(
            {
                "cell": int(cell.get("execution_count") or index),
                "ename": output.get("ename", ""),
                "evalue": str(output.get("evalue", ""))[:300],
            }
        )
        if run.status != "ok":
            continue
        ename, evalue = str(output.get("ename", "")), str(output.get("evalue", ""))
        cause = _reasons.environment_cause(ename, evalue, work=work, sources=sources)
        if output.get("ename") == "MemoryError":
            run.status = "memory"
            run.reason = (
                f"the cell {_prompt(cell, index)} ran out of memory (cap: {limits.memory_mb} MB)"
            )
        elif cause is not None:
            run.status = "environment"
            run.reason = f"the cell {_prompt(cell, index)} raised {ename}: {cause}"
        else:
            run.status = "error"
            run.reason = (
                f"the cell {_prompt(cell, index)} raised {output.get('ename')}: "
                + str(output.get("evalue", ""))[:200]
            )


def _prompt(cell: NotebookNode, index: int) -> str:
    """How the student sees a cell: ``In [3]``, as at its prompt and in its traceback."""
    count = cell.get("execution_count")
    return f"In [{count}]" if count else f"number {index} (not run)"


def _save(client: NotebookClient, nb: NotebookNode) -> None:
    client.timeout = 30
    client.execute_cell(nb.cells[-1], len(nb.cells) - 1)


def _stopped(run: Run, err: Exception, km: AsyncKernelManager, limits: GradeLimits) -> None:
    name = type(err).__name__
    if run.status in ("ok", "error") or name == "DeadKernelError":
        code = getattr(getattr(km.provisioner, "process", None), "returncode", None)
        run.status = "memory" if code in (-signal.SIGKILL, -signal.SIGABRT) else "kernel-died"
        run.reason = _reasons.stopped(run.status, f"{name}: {str(err)[:200]}", limits.memory_mb)


def _collect(run: Run, exercises: tuple[Exercise, ...], box: sandbox.Sandbox, token: str) -> None:
    report = run.report
    for i, exercise in enumerate(exercises):
        if exercise.file is not None:
            run.models[exercise.name] = file_copy(box, exercise.file, exercise.file)
        elif report is None:
            run.models[exercise.name] = "not-run: " + (run.reason or "the notebook did not finish")
        elif report.get(exercise.name, "").startswith("saved"):
            run.models[exercise.name] = model_file(box, f"{token}-{i}", str(report[exercise.name]))
        else:
            run.models[exercise.name] = str(report.get(exercise.name, "missing: no report"))


def kill_all() -> None:
    """Kill every running kernel (an interrupted batch)."""
    with _LOCK:
        pids = list(_ACTIVE.values())
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
