"""scripts/decompose_score.py: the table's arithmetic (the measurement itself needs servers)."""

from scripts.decompose_score import LAYERS, format_rows


def _row(layer: str, in_flight: int, calls: int) -> dict:
    return {"layer": layer, "in_flight": in_flight, "calls_per_s": calls, "p50_ms": 1.0,
            "p99_ms": 2.0, "errors": {}}


def test_each_layer_shows_the_time_it_adds_per_call():
    table = format_rows([_row("trivial", 1, 2000), _row("wrapper", 1, 1000),
                         _row("trivial", 16, 5000), _row("wrapper", 16, 4000)])
    lines = table.splitlines()
    assert lines[2].endswith("| 500 |  |")          # 1e6 / 2000 µs, nothing above it
    assert lines[3].endswith("| 1000 | +500 |")     # 500 µs more than the trivial call
    assert lines[4].endswith("| 200 |  |")          # a new in-flight level starts afresh
    assert lines[5].endswith("| 250 | +50 |")


def test_layers_go_from_grpc_alone_to_the_whole_call():
    assert LAYERS == ("trivial", "wrapper", "handler", "hop", "full")
