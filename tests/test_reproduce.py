"""`nplearn reproduce`: the paper tables, one epoch of each at cpu scale, the files and errors."""
import csv

import pytest

from nplearn.cli import main
from nplearn.experiments.reproduce import NOT_IMPLEMENTED, list_tables, reproduce, table_settings
from nplearn.experiments.tables import TABLES

# tables whose cpu scale takes over ~15 s for one seed of one epoch on 2 cores
SLOW = {"dfa-table1", "dfa-deep"}


def test_list_names_every_table(capsys):
    assert main(["reproduce", "--list"]) == 0
    out = capsys.readouterr().out
    assert all(name in out for name in TABLES)
    assert set(list_tables()) == set(TABLES)


def test_every_paper_cell_is_listed_or_run():
    for name, table in TABLES.items():
        cells = table_settings(name, "cpu", epochs=1)
        assert len(cells) == len(table.rows) * len(table.columns), name
        for row, col, dataset, kw in cells:
            assert dataset == table.cpu_dataset
            assert col in row.paper, (name, row.model, col)
            assert kw is None or kw["epochs"] == 1


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in TABLES])
def test_cpu_scale_runs_one_epoch(name, tmp_path):
    result = reproduce(name, seeds=1, epochs=1, out_dir=tmp_path, progress=False)
    table = TABLES[name]
    assert len(result["cells"]) == len(table.rows) * len(table.columns)
    for cell in result["cells"]:
        if cell["status"] == NOT_IMPLEMENTED:
            assert cell["n_runs"] == 0
        else:
            assert cell["n_runs"] == 1
    md = (tmp_path / "table.md").read_text()
    for row in table.rows:
        assert row.model in md and all(v in md for v in row.paper.values())
    with open(tmp_path / "table.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(result["cells"])
    assert {"paper", "ours_mean", "ours_std", "n_runs"} <= set(rows[0])
    assert (tmp_path / "report.html").exists()


def test_not_implemented_cells_keep_the_paper_number():
    cells = table_settings("pepita-table1", "cpu")
    drtp = [(row, kw) for row, col, _, kw in cells if col == "DRTP"]
    assert drtp and all(kw is None and row.paper["DRTP"] for row, kw in drtp)


def test_bad_table_name_lists_the_names(capsys):
    with pytest.raises(ValueError, match="dfa-table1"):
        reproduce("no-such-table")
    assert main(["reproduce", "no-such-table"]) == 1
    assert "dfa-table1" in capsys.readouterr().err


def test_full_scale_without_data_names_the_download_script(tmp_path):
    with pytest.raises(FileNotFoundError, match="download.py"):
        reproduce("bfa-table1", scale="full", seeds=1, epochs=1, data_dir=tmp_path)
