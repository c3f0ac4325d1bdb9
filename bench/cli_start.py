"""How fast the `vault` command starts, before any work.

value    = median wall time (s) of `vault --help` (goal <= 0.5 s);
baseline = median wall time (s) of importing what the command used to import eagerly before
           parsing its arguments (`api.app`, `signing.verify`, `ocr.cli`'s pipeline): the
           start every command paid;
ratio    = value / baseline.

Also measured and printed before the RESULT line: the median wall time of `vault verify` on
an unsigned one-page PDF (goal <= 1 s), which answers "INDETERMINATE: no signature" (exit
status 2) after loading the verifier.

Each run is a fresh process (`.venv/bin/vault`), in a fresh temporary folder with no
`VAULT_*` settings, rounds alternating between the commands so that load from elsewhere on
the shared machine falls on all alike, after an unmeasured warm-up (disk cache).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _common
from bench._common import log

NAME = "cli_start"
HELP_GOAL = 0.5
VERIFY_GOAL = 1.0
EAGER_IMPORTS = "import api.app, signing.verify, ocr.pipeline, ocr.worker"


@dataclass(frozen=True)
class Plan:
    rounds: int
    warmup_rounds: int = 1


QUICK = Plan(rounds=5)
FULL = Plan(rounds=15)


def _timed(command: list[str], cwd: Path, env: dict[str, str], expect: set[int]) -> float:
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode not in expect:
        raise SystemExit(
            f"{command} exited with {done.returncode}:\n{done.stdout.decode()}"
            f"{done.stderr.decode()}"
        )
    return elapsed


def main() -> None:
    args = _common.parse_args(__doc__ or NAME)
    plan = QUICK if args.quick else FULL
    vault = str(Path(sys.prefix, "bin", "vault"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULT_")}
    with _common.work_dir(NAME) as base:
        pdf = base / "unsigned.pdf"
        pdf.write_bytes(_common.pdf_head())
        commands = {
            "help": ([vault, "--help"], {0}),
            "verify": ([vault, "verify", str(pdf)], {2}),  # INDETERMINATE: not signed
            "eager": ([sys.executable, "-c", EAGER_IMPORTS], {0}),
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for number in range(plan.warmup_rounds + plan.rounds):
            order = list(commands) if number % 2 == 0 else list(reversed(commands))
            for name in order:
                command, expect = commands[name]
                elapsed = _timed(command, base, env, expect)
                if number >= plan.warmup_rounds:
                    times[name].append(elapsed)
            if number >= plan.warmup_rounds:
                log(
                    f"round {number + 1 - plan.warmup_rounds}/{plan.rounds}: "
                    + ", ".join(f"{n} {times[n][-1]:.3f} s" for n in commands)
                )
    help_s, verify_s, eager_s = (statistics.median(times[n]) for n in ("help", "verify", "eager"))
    print(
        f"vault --help: {help_s:.3f} s (goal <= {HELP_GOAL} s: "
        f"{'met' if help_s <= HELP_GOAL else 'NOT met'})",
        flush=True,
    )
    print(
        f"vault verify unsigned.pdf: {verify_s:.3f} s (goal <= {VERIFY_GOAL} s: "
        f"{'met' if verify_s <= VERIFY_GOAL else 'NOT met'})",
        flush=True,
    )
    print(f"the eager imports alone: {eager_s:.3f} s", flush=True)
    _common.print_result(NAME, help_s, "s", eager_s, help_s / eager_s)


if __name__ == "__main__":
    main()
