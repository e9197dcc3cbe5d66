"""Turn the driver's medians into ``results/results.md``, ``results/results.csv`` and the two plots.

File names are stable (the docs show them): ``results.md``, ``results.csv``, ``ratios.png``, ``scaling.png``; the raw
numbers go to ``raw/results.json`` (git-ignored).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

# case -> (reference implementation, largest ratio tinyio may have to it, the target as the issue words it)
TARGETS: dict[str, tuple[str, float, str]] = {
    "pingpong": ("floor", 2.5, "≤ 2.5× the bare floor"),
    "many_yield": ("floor", 3.0, "≤ 3× the bare floor"),
    "spawn_gather": ("asyncio", 0.5, "≤ 0.5× asyncio"),
    "chain": ("floor", 3.0, "runs; ≤ 3× the bare floor"),
    "sleepers": ("asyncio", 1.0, "excess ≤ asyncio's"),
    "threads": ("asyncio", 1.0, "≤ asyncio `to_thread`"),
    "cancel": ("asyncio", 0.5, "≤ 0.5× asyncio"),
    "cancel_sleep": ("asyncio", 0.5, "≤ 0.5× asyncio"),
    "event_wakeup": ("asyncio", 1.0, "≤ asyncio"),
    "memory": ("floor", 1.5, "≤ 1.5× a bare suspended generator"),
}
SCALING_LIMIT = 12.0
COMMAND = "python -m benchmarks"

Row = dict[str, dict[str, Any]]


def write_raw(out: Path, raw: dict[str, Any]) -> Path:
    path = out / "raw" / "results.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(raw, indent=1))
    return path


def write_all(out: Path, raw: dict[str, Any]) -> None:
    """Merge with earlier raw results (a ``--scaling`` run keeps the last table), then write every output."""
    previous = out / "raw" / "results.json"
    if previous.exists():
        old = json.loads(previous.read_text())
        for part in ("table", "scaling", "scaling_implementations"):
            if part not in raw and part in old:
                raw[part] = old[part]
    raw.setdefault("when", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
    raw.setdefault("machine", f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.system()}")
    write_raw(out, raw)
    (out / "results.md").write_text(markdown(raw))
    write_csv(out / "results.csv", raw)
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is not installed (pip install -e '.[bench]'): no plots", file=sys.stderr)
        return
    matplotlib.use("Agg")
    if "table" in raw:
        plot_ratios(out / "ratios.png", raw)
    if "scaling" in raw:
        plot_scaling(out / "scaling.png", raw)
    print(f"wrote {out}/results.md, results.csv, ratios.png, scaling.png")


# ------------------------------------------------------------------------------------------------ numbers
def split(key: str) -> tuple[str, int]:
    case, n = key.split("@")
    return case, int(n)


def value(cell: dict[str, Any] | None) -> float | None:
    return None if cell is None or "value" not in cell else float(cell["value"])


def ratio(row: Row, case: str, implementation: str) -> float | None:
    reference = value(row.get(TARGETS[case][0]))
    mine = value(row.get(implementation))
    if reference is None or mine is None or reference <= 0:
        return None
    return mine / reference


def describe(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return "–"
    if "unsupported" in cell:
        return "n/a"
    if "timeout" in cell:
        return f"> {cell['timeout']:.0f} s"
    if "error" in cell:
        return "error"
    return ""


def bounded_ratio(row: Row, case: str, implementation: str) -> tuple[str, float | None, str]:
    """``(text, number, comparison)``: the ratio to the reference, or a bound on it when one of the two timed out."""
    x = ratio(row, case, implementation)
    if x is not None:
        return f"{x:.2f}×", x, "="
    mine, reference = row.get(implementation), row.get(TARGETS[case][0])
    if mine is not None and reference is not None and case != "memory":  # a timeout bounds only times
        if "value" in mine and "timeout" in reference and reference["timeout"] > 0:
            bound = mine["value"] / reference["timeout"]
            return f"< {bound:.2g}×", bound, "<"
        if "timeout" in mine and value(reference):
            bound = mine["timeout"] / value(reference)  # type: ignore[operator]
            return f"> {bound:.2g}×", bound, ">"
    return describe(mine), None, ""


def fmt_ratio(row: Row, case: str, implementation: str) -> str:
    return bounded_ratio(row, case, implementation)[0]


def fmt_value(case: str, cell: dict[str, Any] | None) -> str:
    x = value(cell)
    if x is None:
        return describe(cell)
    if case == "memory":
        return f"{x:.0f} B"
    return f"{x * 1e3:.1f} ms" if abs(x) < 10 else f"{x:.1f} s"


def growth(scaling: dict[str, Row], case: str, implementation: str, small: int, large: int) -> float | None:
    a = value(scaling.get(f"{case}@{small}", {}).get(implementation))
    b = value(scaling.get(f"{case}@{large}", {}).get(implementation))
    if a is None or b is None or a <= 0:
        return None
    if case == "memory":  # the value is per coroutine; growth is of the total
        return b / a * large / small
    return b / a


# ------------------------------------------------------------------------------------------------ markdown
def markdown(raw: dict[str, Any]) -> str:
    implementations: list[str] = raw["implementations"]
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{COMMAND}` on {raw['when']} ({raw['machine']}, Python {raw['python']}). Each number is the",
        "median of several runs, each in a fresh process pinned to one CPU, implementations interleaved. Compare",
        "ratios, not absolute times: only numbers from one session are comparable. See `benchmarks/README.md` for what",
        "each case does.",
        "",
    ]
    if raw.get("no_gc"):
        lines += [
            "**Diagnostic run: the workers ran with CPython's cyclic garbage collector off** (`--no-gc`), to show how",
            "much of a case's cost and growth is the collector's. These are not tinyio's published numbers.",
            "",
        ]
    if "table" in raw:
        table: dict[str, Row] = raw["table"]
        lines += ["## Targets", "", "| case | N | target | tinyio | met | tinyio 0.4.0 |", "|---|---|---|---|---|---|"]
        for key, row in table.items():
            case, n = split(key)
            reference, limit, wording = TARGETS[case]
            text, mine, comparison = bounded_ratio(row, case, "tinyio")
            if mine is None:
                met = "–"
            elif comparison == ">":  # tinyio timed out
                met = "**no**"
            elif mine <= limit:
                met = "yes"
            else:
                met = "?" if comparison == "<" else "**no**"  # "<": the reference timed out; the bound says too little
            lines.append(
                f"| {case} | {n:,} | {wording} | {text} | {met} | {fmt_ratio(row, case, 'tinyio-0.4.0')} |"
            )
        if "scaling" in raw:
            worst = [growth(raw["scaling"], split(k)[0], "tinyio", 10_000, 100_000) for k in table]
            known = [g for g in worst if g is not None]
            if known:
                top = max(known)
                met = "yes" if top <= SCALING_LIMIT else "**no**"
                lines.append(f"| scaling | 1e4 → 1e5 | every case grows ≤ {SCALING_LIMIT:.0f}× | {top:.1f}× (worst) | {met} | |")
        lines += ["", "Ratios are to the case's reference: the bare floor for pingpong, many_yield, chain and memory,",
                  "asyncio for the rest. sleepers compares the time beyond the longest sleep.", ""]
        lines += ["## Every implementation, as a ratio to the reference", ""]
        lines += ["| case | N | reference | " + " | ".join(implementations) + " |"]
        lines += ["|---|---|---|" + "---|" * len(implementations)]
        for key, row in table.items():
            case, n = split(key)
            cells = [fmt_ratio(row, case, i) for i in implementations]
            lines.append(f"| {case} | {n:,} | {TARGETS[case][0]} | " + " | ".join(cells) + " |")
        lines += ["", "## Medians (this machine, this session)", ""]
        lines += ["| case | N | " + " | ".join(implementations) + " |", "|---|---|" + "---|" * len(implementations)]
        for key, row in table.items():
            case, n = split(key)
            lines.append(f"| {case} | {n:,} | " + " | ".join(fmt_value(case, row.get(i)) for i in implementations) + " |")
        lines.append("")
    if "scaling" in raw:
        scaling: dict[str, Row] = raw["scaling"]
        implementations = raw.get("scaling_implementations", implementations)
        cases = list(dict.fromkeys(split(k)[0] for k in scaling))
        lines += ["## Scaling: growth from N = 1e4 to 1e5 (10× the work; linear is 10×)", ""]
        lines += ["| case | " + " | ".join(implementations) + " |", "|---|" + "---|" * len(implementations)]
        for case in cases:
            cells = []
            for implementation in implementations:
                g = growth(scaling, case, implementation, 10_000, 100_000)
                cell = scaling.get(f"{case}@100000", {}).get(implementation)
                cells.append(describe(cell) if g is None else f"{g:.1f}×")
            lines.append(f"| {case} | " + " | ".join(cells) + " |")
        lines += ["", "memory grows by its total bytes; sleepers by its time beyond the longest sleep.", ""]
    return "\n".join(lines)


def write_csv(path: Path, raw: dict[str, Any]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["part", "case", "n", "implementation", "median", "unit", "ratio_to_reference", "note"])
        for part in ("table", "scaling"):
            for key, row in raw.get(part, {}).items():
                case, n = split(key)
                for implementation, cell in row.items():
                    x = value(cell)
                    r = ratio(row, case, implementation)
                    writer.writerow([
                        part, case, n, implementation, "" if x is None else f"{x:.6g}",
                        "bytes/coroutine" if case == "memory" else "seconds",
                        "" if r is None else f"{r:.4g}", describe(cell) if x is None else "",
                    ])


# ------------------------------------------------------------------------------------------------ plots
COLOURS = {
    "tinyio": "tab:blue",
    "floor": "black",
    "asyncio": "tab:orange",
    "uvloop": "tab:green",
    "trio": "tab:purple",
    "tinyio-0.4.0": "tab:gray",
}


def plot_ratios(path: Path, raw: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt

    table: dict[str, Row] = raw["table"]
    implementations: list[str] = raw["implementations"]
    keys = list(table)
    width = 0.8 / len(implementations)
    fig, ax = plt.subplots(figsize=(12, 5))
    for index, implementation in enumerate(implementations):
        xs, ys = [], []
        for position, key in enumerate(keys):
            r = ratio(table[key], split(key)[0], implementation)
            if r is not None and r > 0:
                xs.append(position + (index - (len(implementations) - 1) / 2) * width)
                ys.append(r)
        ax.bar(xs, ys, width, label=implementation, color=COLOURS.get(implementation))
    for position, key in enumerate(keys):
        limit = TARGETS[split(key)[0]][1]
        ax.hlines(limit, position - 0.45, position + 0.45, colors="red", linestyles="dashed", linewidth=1.2)
    ax.set_yscale("log")
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels([f"{split(k)[0]}\n(vs {TARGETS[split(k)[0]][0]})" for k in keys], fontsize=8)
    ax.set_ylabel("ratio to reference (log; lower is better)")
    ax.set_title("tinyio benchmarks: ratio to each case's reference; red dashes: tinyio's target")
    ax.legend(fontsize=8, ncol=len(implementations))
    ax.grid(axis="y", which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_scaling(path: Path, raw: dict[str, Any]) -> None:
    import matplotlib.pyplot as plt

    scaling: dict[str, Row] = raw["scaling"]
    implementations: list[str] = raw.get("scaling_implementations", raw["implementations"])
    cases = list(dict.fromkeys(split(k)[0] for k in scaling))
    columns = 5
    rows = (len(cases) + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(3.2 * columns, 3 * rows), squeeze=False)
    for ax, case in zip(axes.flat, cases):
        for implementation in implementations:
            points = [
                (split(k)[1], value(row.get(implementation)))
                for k, row in scaling.items()
                if split(k)[0] == case
            ]
            points = [(n, v) for n, v in points if v is not None and v > 0]
            if points:
                ns, vs = zip(*points)
                ax.plot(ns, vs, marker="o", label=implementation, color=COLOURS.get(implementation))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(case, fontsize=9)
        ax.set_xlabel("N", fontsize=8)
        ax.set_ylabel("bytes / coroutine" if case == "memory" else "seconds", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(which="both", alpha=0.3)
    for ax in list(axes.flat)[len(cases):]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(implementations), fontsize=8)
    fig.suptitle("tinyio benchmarks: how each case grows with N (log-log)")
    fig.tight_layout(rect=(0, 0.05, 1, 0.97))
    fig.savefig(path, dpi=110)
    plt.close(fig)
