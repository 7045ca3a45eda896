"""One traced update as a picture: every matrix of ``Classifier.trace_step`` as a heatmap,
titled with the paper's symbol and equation number.

``step_panels(record, rule)`` is the one place that reads the record's layout: it turns the
:class:`~nplearn.rules.step_record.StepRecord` of ``trace_step`` (keys ``x, W1_before, h_1,
delta_1, dW_1, W1_applied, B1, ...``) into an ordered list of :class:`Panel` (row, column,
symbol, equation, array). ``plot_step`` draws panels and knows nothing of the record, so a
change of the record's layout is a change of the adapter only. The equation of a panel is
the record's tag (:meth:`StepRecord.equation <nplearn.rules.step_record.StepRecord.equation>`);
the tables below give the symbols, and the tags for a plain dict of the same keys.

Columns are the layers, input on the left and output on the right; rows are what a matrix
is: the weights before the step, the forward pass, a second pass (PEPITA's modulated pass,
the nudged phase of EP / EFP, sigprop's targets, BFA's backward network), the error
signals, the fixed or learned feedback, the rule's update direction and the change the
optimiser applied. Biases, pre-activations ``a_l``, ``f'(a_l)``, dropout masks and the
weights after the step are left out (``h_l = f(a_l)`` is shown; the weights after are the
weights before plus the applied change). Each panel has its own symmetric colour scale:
white is 0, red positive, blue negative, and the title gives the largest magnitude.
"""
import re
from collections import namedtuple

import numpy as np

from . import style

Panel = namedtuple("Panel", "key row col symbol equation array")
ROWS = ("weights", "forward pass", "second pass", "error signal", "feedback", "update",
        "applied step")

# Paper short names and their equation numbers, per rule: key kind -> "Eq. (n)".
# The DFA paper's numbering serves BP, FA, DFA and IFA (Nøkland 2016, Eq. 1-10).
_DFA = {"forward": "DFA Eq. (1)-(3)", "e": "DFA Eq. (5)", "dW": "DFA Eq. (10)"}
_DELTA = {"bp": (r"(W_{{{n}}}^T \delta_{{{n}}}) \odot f^\prime(a_{{{l}}})", "DFA Eq. (6)"),
          "fa": (r"(B_{{{l}}} \delta_{{{n}}}) \odot f^\prime(a_{{{l}}})", "DFA Eq. (7)"),
          "dfa": (r"(B_{{{l}}} e) \odot f^\prime(a_{{{l}}})", "DFA Eq. (8)"),
          "ifa": (None, "DFA Eq. (9)"),
          "drtp": (r"(B_{{{l}}} y^*) \odot f^\prime(a_{{{l}}})", "DRTP: DFA Eq. (8), y* for e"),
          "bfa": (r"(\overleftarrow{{w}}_{{{k}}} \delta_{{{n}}}) \odot f^\prime(a_{{{l}}})",
                  "BFA Eq. (18)-(19)"),
          "bdfa": (r"(\overleftarrow{{w}}_{{{l}}} e) \odot f^\prime(a_{{{l}}})",
                   "BDFA Eq. (36)-(37)"),
          "pepita": (r"h_{{{l}}} - h_{{{l}}}^{{err}}", "PEPITA Eq. (3)-(4)")}
_EQ = {"bfa": {"forward": "BFA Eq. (12)-(14)", "e": "BFA Eq. (17)", "dW": "BFA Eq. (20)-(22)"},
       "bdfa": {"forward": "BDFA Eq. (32)-(34)", "e": "BDFA Eq. (35)", "dW": "BDFA Eq. (38)"},
       "pepita": {"forward": "PEPITA Eq. (1)", "e": "PEPITA Eq. (1)", "dW": "PEPITA Eq. (3)-(5)"},
       "ep": {"free": "EFP Eq. (1), (7)", "nudged": "EFP Eq. (3)-(4)", "e": "EFP Eq. (3)",
              "dW": "EP, EFP Eq. (5)"},
       "efp": {"free": "EFP Eq. (1), (7)", "nudged": "EFP Eq. (1), (7)", "e": "EFP Eq. (3)",
               "dW": "EFP Eq. (6)"},
       "sigprop_ct": {"free": "SP Eq. (13), β = 0", "nudged": "SP Eq. (13)", "e": "EFP Eq. (3)",
                      "dW": "SP Eq. (14)"},
       "sigprop": {"forward": "SP Eq. (1)-(2)", "dW": "SP Eq. (9)"}}


def step_panels(record, rule):
    """The matrices of one traced step, in reading order, with the paper's names.

    Parameters
    ----------
    record : StepRecord or dict
        ``Classifier.trace_step``'s record (or a dict of the same keys). For a rule that
        updates several times per batch (EFP's loop) it is one call's record.
    rule : str
        The rule's name (``"dfa"``, ...), for the symbols and equation numbers.

    Returns
    -------
    list of Panel
        ``(key, row, col, symbol, equation, array)``; ``row`` is one of :data:`ROWS`,
        ``col`` the layer (0 the input), ``symbol`` mathtext, ``array`` 2-D. Keys the adapter
        does not know are kept, under their own name, in the row their prefix suggests.
    """
    L = _n_layers(record)
    eq = _EQ.get(rule, _DFA if rule in _DELTA else {})
    panels = []
    for key, value in record.items():
        A = np.asarray(value) if isinstance(value, np.ndarray) else None
        if A is None or A.ndim != 2:
            continue                              # scalars (loss, beta), biases, per-sample
        p = _panel(key, A, rule, L, eq)
        if p is not None:
            tag = record.equation(key) if hasattr(record, "equation") else ""
            if p.row == "applied step":
                tag = tag.split(":")[0]                 # "RMSprop (lr 0.003)": the label
            panels.append(p._replace(equation=tag) if tag else p)
    order = {r: i for i, r in enumerate(ROWS)}
    return sorted(panels, key=lambda p: (order[p.row], p.col))


def plot_step(record, rule, *, title=None, loss=None):
    """Heatmaps of one traced update: columns the layers, rows the kind of matrix.

    Parameters
    ----------
    record : StepRecord or dict
        ``Classifier.trace_step``'s record; read through :func:`step_panels`.
    rule : str
        The rule's name.
    title : str, optional
    loss : float, optional
        Shown in the title; default ``record["loss"]`` if present.

    Returns
    -------
    matplotlib.figure.Figure
    """
    panels = step_panels(record, rule)
    if not panels:
        raise ValueError(f"the trace of {rule!r} holds no matrices to draw (keys: "
                         f"{', '.join(record) or 'none'}); trace a rule with a layered network")
    rows = [r for r in ROWS if any(p.row == r for p in panels)]
    cols = sorted({p.col for p in panels})
    where = {(r, c): [p for p in panels if p.row == r and p.col == c] for r in rows for c in cols}
    depth = {r: max(len(where[r, c]) for c in cols) for r in rows}    # two in one cell: stack
    slots = [(r, i) for r in rows for i in range(depth[r])]
    loss = record.get("loss") if loss is None else loss
    with style.context():
        fig, grid = style.new_figure(ncols=len(cols), nrows=len(slots), panel_size=(1.7, 1.75))
        grid = np.asarray(grid).reshape(len(slots), len(cols))
        for ax in grid.ravel():
            ax.set_axis_off()
        for i, (r, k) in enumerate(slots):
            for j, c in enumerate(cols):
                if k < len(where[r, c]):
                    _heatmap(grid[i, j], where[r, c][k])
            if k == 0:
                grid[i, 0].annotate(r, (0, 0.5), xycoords="axes fraction", xytext=(-8, 0),
                                    textcoords="offset points", rotation=90, ha="right",
                                    va="center", fontsize=9, fontweight="bold")
        for j, c in enumerate(cols):
            head = "input" if c == 0 else "output" if c == cols[-1] else f"layer {c}"
            grid[0, j].annotate(head, (0.5, 1), xycoords="axes fraction", xytext=(0, 30),
                                textcoords="offset points", ha="center", va="bottom",
                                fontsize=9, fontweight="bold")
        head = title or f"one {style.rule_label(rule)} update"
        if loss is not None:
            head += f" (batch loss {float(loss):.4g})"
        fig.suptitle(head + "\nred > 0 > blue, each panel on its own scale; "
                     "in x, h, e, δ one row per sample")
    return fig


def _heatmap(ax, p):
    ax.set_axis_on()
    m = float(np.nanmax(np.abs(p.array))) if p.array.size else 0.0
    ax.imshow(p.array, aspect="auto", cmap="RdBu_r", vmin=-(m or 1), vmax=m or 1,
              interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("0.7")
    rows, cols = p.array.shape
    ax.set_title(f"${p.symbol}$", fontsize=9, pad=3)
    ax.set_xlabel(f"{p.equation}\n{rows}×{cols}, max |·| {m:.2g}".strip(),
                  fontsize=style.MIN_FONT_PT, labelpad=2)


def _n_layers(record):
    ls = [int(m.group(1)) for k in record for m in [re.search(r"_(\d+)$", k)] if m]
    return max(ls) if ls else 1


def _panel(key, A, rule, L, eq):
    """The Panel of one record entry, or None to leave it out."""
    m = re.fullmatch(r"(.+)_(before|applied|after)", key)
    if m:
        return _around(key, A, rule, L, eq, *m.groups())
    m = re.fullmatch(r"([A-Za-z_]+?)_?(\d+)?(_err)?", key)
    base, l, err = (m.group(1), int(m.group(2)) if m.group(2) else None, m.group(3)) if m \
        else (key, None, None)
    hop = rule in ("ep", "efp", "sigprop_ct")
    P = lambda row, col, sym, e: Panel(key, row, col, sym, e, A)
    if key == "x":
        return P("forward pass", 0, r"x = h_0", eq.get("forward", eq.get("free", "input")))
    if key == "y":
        return P("error signal", L, r"d" if hop else r"y", "target: the one-hot label")
    if key == "y_hat":
        return P("forward pass", L, r"\hat y", eq.get("forward", ""))
    if key == "e":
        sym = r"e = s_L - d" if hop else r"e = \hat y - y"
        return P("error signal", L, sym, eq.get("e", ""))
    if base == "a" or base in ("db", "dc", "dd", "c", "b"):
        return None                                   # pre-activations and biases: left out
    if base == "h" and err:
        return P("second pass", l, rf"h_{{{l}}}^{{err}}", "PEPITA Eq. (2)")
    if key == "x_err":
        return P("second pass", 0, r"h_0^{err} = x + F e", "PEPITA Eq. (2)")
    if base == "h":
        return P("forward pass", l, rf"h_{{{l}}}", eq.get("forward", ""))
    if base == "s_start":
        return P("forward pass", l, rf"s^{{start}}_{{{l}}}", "EP: the persistent particle")
    if base == "s_free":
        return P("forward pass", l, rf"s^0_{{{l}}}", eq.get("free", "") + ", free phase")
    if base == "s_nudged":
        return P("second pass", l, rf"s^\beta_{{{l}}}", eq.get("nudged", "") + ", nudged")
    if base == "t":
        return P("second pass", l, rf"t_{{{l}}}", "SP Eq. (1), (3): targets")
    if base == "z":
        return P("error signal", l, rf"z_{{{l}}} = h_{{{l}}} t_{{{l}}}^T", "SP Eq. (6), (8)")
    if base == "delta":
        sym, e = _DELTA.get(rule, (None, "δ of the rule"))
        text = sym.format(l=l, n=l + 1, k=L - l) if sym else ""
        if rule == "ifa":
            text = r"(B_1 e) \odot f^\prime(a_1)" if l == 1 else \
                rf"(W_{{{l}}} \delta_{{{l - 1}}}) \odot f^\prime(a_{{{l}}})"
        return P("error signal", l, rf"\delta_{{{l}}}" + (f" = {text}" if text else ""), e)
    if base == "dW":
        if rule == "pepita":
            return P("update", l, rf"-\Delta W_{{{l}}}", eq["dW"])
        if rule == "sigprop":
            return P("update", l, rf"-\partial L_{{{l}}} / \partial W_{{{l}}}", eq["dW"])
        return P("update", l, rf"\delta W_{{{l}}}", eq.get("dW", ""))
    if key == "dW_loop":
        return P("update", 1, r"\delta W_{loop}\ (= \delta S_1)" if rule == "sigprop_ct"
                 else r"\delta W_{loop}", eq.get("dW", ""))
    if key == "W_loop":
        return P("feedback", 1, r"W_{loop}: s_L \to s_1", "EFP Eq. (1), Fig. 1a")
    if base == "B":
        if rule == "bdfa":
            return P("feedback", l, rf"\overleftarrow{{w}}_{{{l}}}", "BDFA Eq. (36)-(39)")
        return P("feedback", l, rf"B_{{{l}}}", _DELTA.get(rule, (None, ""))[1])
    if base == "dB":
        return P("update", l, rf"\delta \overleftarrow{{w}}_{{{l}}}", "BDFA Eq. (40)-(42)")
    if key == "F":
        return P("feedback", 0, r"F", "PEPITA Eq. (2)")
    if base == "V":                                   # BFA's backward network, layer k
        return P("feedback", L - l, rf"\overleftarrow{{w}}_{{{l}}}", "BFA Eq. (23)-(25)")
    if base == "dV":
        return P("update", L - l, rf"\delta \overleftarrow{{w}}_{{{l}}}", "BFA Eq. (29)")
    if key == "x_hat":
        return P("second pass", 0, r"\hat x", "BFA Eq. (25)")
    if key == "e_back":
        return P("error signal", 0, r"\overleftarrow{e} = \hat x - x", "BFA Eq. (26)")
    if base == "h_back":
        return P("second pass", L - l, rf"\overleftarrow{{h}}_{{{l}}}", "BFA Eq. (23)-(24)")
    if base == "a_back":
        if rule == "bdfa":
            return P("second pass", l,
                     rf"\overleftarrow{{a}}_{{{l}}} = \overleftarrow{{w}}_{{{l}}} y",
                     "BDFA Eq. (39)")
        return None
    if base == "delta_back":
        return P("error signal", L - l, rf"\delta \overleftarrow{{a}}_{{{l}}}",
                 "BFA Eq. (27)-(28)")
    if key in ("S1", "dS1", "dS_1"):
        return P("feedback" if key == "S1" else "update", 0,
                 r"S_1" if key == "S1" else r"-\partial L_1 / \partial S_1",
                 "SP Eq. (1), (9): the target generator")
    if key == "e_err":
        return P("error signal", L, r"e^{err}", "PEPITA Eq. (5)")
    if base == "s_nudged_minus":
        return P("second pass", l, rf"s^{{-\beta}}_{{{l}}}", eq.get("nudged", "") + ", -beta")
    if base == "dL_dh":
        return P("error signal", l, rf"\partial L_{{{l}}} / \partial h_{{{l}}}", "SP Eq. (9)")
    if base == "dL_dt":
        return P("error signal", l, rf"\partial L_{{{l}}} / \partial t_{{{l}}}", "SP Eq. (9)")
    if base in ("fprime", "fprime_back", "mask", "u", "E", "H", "T", "y_target", "gen_sg",
                "sg"):
        return None      # f'(a_l), masks, generator currents, dL/dz: in the record, not drawn
    row = "update" if key.startswith("d") else "forward pass"
    return P(row, l or 0, key.replace("_", r"\_"), "")


def _around(key, A, rule, L, eq, name, when):
    """Panels of ``<name>_before`` and ``<name>_applied`` (``_after`` is left out: it is the
    sum of the two). Forward weights ``W_l`` go in the rows "weights" and "applied step";
    a trained feedback or loop array in the rows of its own key ("feedback" before,
    "applied step" applied). Biases are left out."""
    m = re.fullmatch(r"W(\d+)", name)
    if when == "after" or (m is None and name[0] in "bcd"):
        return None
    if m:
        l = int(m.group(1))
        if when == "before":
            return Panel(key, "weights", l, rf"W_{{{l}}}", "before the step", A)
        return Panel(key, "applied step", l, rf"\Delta W_{{{l}}}\ \mathrm{{applied}}",
                     "the optimiser's change", A)
    p = _panel(name, A, rule, L, eq)
    if p is None:
        return None
    if when == "before":
        return p._replace(key=key)
    return p._replace(key=key, row="applied step", symbol=rf"\Delta {p.symbol}\ \mathrm{{applied}}",
                      equation="the optimiser's change")
