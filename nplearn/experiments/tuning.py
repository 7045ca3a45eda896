"""The learning rate a tuned table trains with: the best column of its tuning table, per row.

The DFA paper's protocol (Nøkland 2016, Sec. 4): "the learning rate was roughly optimized
for BP and then used for all methods". A table with ``tuned_by`` (``fashion-feedforward``)
marks the columns that take that rate with :data:`~nplearn.experiments.tables.TUNED`; its
tuning table (``fashion-bp-lr``) trains BP at each candidate rate, and for each row the
candidate with the lowest mean validation error, over seeds that all finished, is chosen
(ties: the first, the smaller rate). The choice is read from the tuning table's
``table.csv``, so the tuning runs once and the choice is on file.
"""
import csv
from pathlib import Path

from .tables import TABLES


def tuned_rates(table, scale, tuning, out_dir, row_keys):
    """``{"table", "source", "rates": {row key: {"learning_rate", "column", "val_error",
    "epochs"}}}`` for the rows ``row_keys`` of ``table`` at ``scale``.

    ``tuning``: the tuning table's output folder, or ``{row key: learning rate}`` given
    directly; ``None``: ``<out_dir's parent>/<tuned_by>-<scale>`` (``nplearn reproduce``'s
    default output folder of the tuning table).
    """
    name = table.tuned_by
    keys = list(dict.fromkeys(row_keys))
    if isinstance(tuning, dict):
        missing = [k for k in keys if k not in tuning]
        if missing:
            raise ValueError(f"tuning gives no learning rate for row(s) {', '.join(missing)}")
        return {"table": name, "source": "given", "rates": {
            k: {"learning_rate": float(tuning[k]), "column": None, "val_error": {},
                "epochs": "-"} for k in keys}}
    if tuning is None:
        if out_dir is None:
            raise ValueError(f"this table takes its learning rate from {name}: give tuning= "
                             f"(its output folder, or {{row: rate}}) or an out_dir beside it")
        tuning = Path(out_dir).parent / f"{name}-{scale}"
    path = Path(tuning) / "table.csv"
    command = f"nplearn reproduce {name} --scale {scale} --out {Path(tuning)}"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: this table takes its learning rate from "
                                f"{name}; run `{command}` first (or pass --tuning DIR)")
    with open(path, newline="") as fh:
        lines = [r for r in csv.DictReader(fh) if r["table"] == name and r["scale"] == scale]
    columns = TABLES[name].columns
    rates = {}
    for key in keys:
        mine = [r for r in lines if r["row"] == key]
        finished = [r for r in mine if r["status"] == "ok" and r["n_ok"] == r["n_runs"]
                    and r["ours_mean"]]
        if not mine or len(finished) < len(mine):
            raise ValueError(f"{path}: {name} has not finished row {key!r} at {scale} scale "
                             f"({len(finished)} of {len(mine)} columns with every run done); "
                             f"run `{command} --rows {key} --resume`")
        best = min(finished, key=lambda r: float(r["ours_mean"]))     # the first of equals
        rates[key] = {"learning_rate": float(columns[best["column"]]["learning_rate"]),
                      "column": best["column"],
                      "val_error": {r["column"]: float(r["ours_mean"]) for r in finished},
                      "epochs": f"{best['epochs_run']} / {best['epochs_paper']}"}
    return {"table": name, "source": str(path), "rates": rates}
