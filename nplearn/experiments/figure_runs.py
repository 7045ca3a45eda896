"""What every figure experiment of ``nplearn reproduce`` writes (DFA Fig. 2, EFP Fig. 4, ...)."""
from pathlib import Path


def write_figure_run(out_dir, stem, result, fig, markdown):
    """Write ``out_dir/<stem>.{png,svg}`` (the figure ``fig``), ``result.json`` (``result``)
    and ``summary.md`` (``markdown``), each atomically; return the paths written, as strings.

    The folder is made here, once there is a result, so a run that fails early leaves none.
    """
    from ..plot import savefig
    from ..train import atomic_write
    from .compare import write_json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = [str(p) for p in savefig(fig, out / stem)]
    write_json(out / "result.json", result)
    atomic_write(out / "summary.md", lambda fh: fh.write(markdown.encode()))
    return files + [str(out / "result.json"), str(out / "summary.md")]
