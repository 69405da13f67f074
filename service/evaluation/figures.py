"""One PNG from an evaluation report: ROC curves (ensemble and each detector) and recall per
attack scenario at CHALLENGE and FREEZE. matplotlib is imported only when drawing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ENSEMBLE = "ensemble"


def render(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, (roc_axes, recall_axes) = plt.subplots(
        1, 2, figsize=(14, 5.5), gridspec_kw={"width_ratios": [1, 1.5]})
    try:
        _draw_roc(roc_axes, report["event_level"])
        _draw_recall(recall_axes, report["scenarios"])
        figure.suptitle(f"acctguard evaluation: model {report['model']['version']}, "
                        f"{report['data']['events']:,} events, "
                        f"{report['data']['accounts']:,} accounts, "
                        f"{report['data']['days']:.0f} days ({report['data']['split']})",
                        fontsize=10)
        figure.tight_layout()
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)


def _draw_roc(axes: Any, event_level: dict[str, Any]) -> None:
    for name, ranking in event_level.items():
        curve = ranking.get("roc_curve")
        if curve is None:
            continue
        auc = ranking.get("roc_auc")
        label = f"{name} (AUC {auc:.3f})" if auc is not None else name
        axes.step(curve["fpr"], curve["tpr"], where="post", label=label,
                  linewidth=2.4 if name == ENSEMBLE else 1.2,
                  color="black" if name == ENSEMBLE else None)
    for fpr in (0.001, 0.01):
        axes.axvline(fpr, color="grey", linestyle=":", linewidth=0.8)
    axes.set_xscale("log")
    axes.set_xlim(1e-5, 1.0)
    axes.set_ylim(0.0, 1.02)
    axes.set_xlabel("false-positive rate (honest events, log scale)")
    axes.set_ylabel("true-positive rate (attack events)")
    axes.set_title("ROC, event level")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)


def _draw_recall(axes: Any, scenarios: dict[str, Any]) -> None:
    names = list(scenarios)
    positions = list(range(len(names)))
    width = 0.38
    for offset, key, label, color in ((-width / 2, "recall_challenge", "CHALLENGE or more",
                                       "tab:orange"),
                                      (width / 2, "recall_freeze", "FREEZE", "tab:red")):
        values = [scenarios[n][key] or 0.0 for n in names]
        axes.bar([p + offset for p in positions], values, width, label=label, color=color)
    axes.axhline(0.95, color="grey", linestyle="--", linewidth=0.8)
    axes.set_xticks(positions)
    axes.set_xticklabels([f"{n}\n(n={scenarios[n]['instances']})" for n in names],
                         rotation=35, ha="right", fontsize=8)
    axes.set_ylim(0.0, 1.15)
    axes.set_ylabel("share of attack instances detected")
    axes.set_title("Recall per scenario (instance = attack × account)")
    axes.legend(loc="upper center", ncol=2, fontsize=8)
