"""`atlas-dbt`: dbt, bound to the life of the process that starts it.

dagster-dbt starts dbt as a child process. If the orchestrator is killed (kill -9, an out-of-memory
kill, a closed terminal), an unguarded dbt child keeps running and keeps DuckDB's single-writer lock
on the warehouse, so every later run fails until someone finds and kills it. This entry point asks
Linux to send it SIGTERM when its parent dies (prctl PR_SET_PDEATHSIG, which survives exec) and then
replaces itself with dbt. The warehouse resource names it as the dbt executable
(orchestration/resources.py); elsewhere than Linux dbt runs unguarded.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def main() -> None:
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent:  # the parent died before the guard was set
        sys.exit(f"atlas-dbt: the process that started dbt (pid {parent}) has exited; not running dbt")
    dbt = Path(sys.executable).parent / "dbt"
    os.execv(dbt, [str(dbt), *sys.argv[1:]])


if __name__ == "__main__":
    main()
