"""Leave-one-clip-out selection and configuration variants (bench/loco.py)."""

from pathlib import Path

import pytest

from bench.loco import TUNED, VARIANTS
from urbanwatch.config import ConfigError, parse_config
from urbanwatch.evaluation.loco import Counts, leave_one_clip_out
from urbanwatch.evaluation.variants import apply_variant, is_default, label, parse_vary


def C(tp, fp, fn, negative=False):
    return Counts(tp, fp, fn, negative)


def test_each_clip_is_scored_with_the_variant_the_other_clips_chose():
    table = [  # variant 0 is the default
        {"a": C(1, 0, 1), "b": C(2, 0, 0), "n": C(0, 0, 0, True)},
        {"a": C(2, 0, 0), "b": C(2, 1, 0), "n": C(0, 1, 0, True)},  # better on a, worse elsewhere
        {"a": C(2, 0, 0), "b": C(1, 0, 1), "n": C(0, 0, 0, True)},
    ]
    r = leave_one_clip_out(table, default=0)
    chosen = {row.clip: row.variant for row in r.rows}
    # held out a: on b and n, variant 0 (F1 1.0) beats 2 (0.67) and 1 (0.8)
    # held out b: on a and n, 0 has F1 0.67, 1 has 0.8, 2 has 1.0
    # held out n: on a and b, 0: 6/7, 1: 8/9, 2: 6/7 -> 1
    assert chosen == {"a": 0, "b": 2, "n": 1}
    assert [row.counts for row in r.rows] == [C(1, 0, 1), C(1, 0, 1), C(0, 1, 0, True)]
    assert r.rows[2].train_f1 == pytest.approx(8 / 9)
    # per clip: a 2/3, b 2/3, n 0.0 (a negative clip that raised an alert)
    assert r.mean_clip_f1 == pytest.approx((2 / 3 + 2 / 3 + 0) / 3)
    assert r.pooled_f1 == pytest.approx(4 / (4 + 1 + 2))  # tp 2, fp 1, fn 2
    assert r.in_sample == pytest.approx([6 / 7, 0.8, 6 / 7])  # 1 pays for its alert on n
    assert r.best_in_sample(0) == 0 and r.best_in_sample(2) == 2  # a tie: the default


def test_ties_go_to_the_default_then_the_first():
    same = {"a": C(1, 0, 0), "b": C(1, 0, 0)}
    assert [row.variant for row in leave_one_clip_out([same, same, same], default=1).rows] == [1, 1]
    assert [row.variant for row in leave_one_clip_out([same, same, same], default=5).rows] == [0, 0]
    silent = {"a": C(0, 0, 0, True), "b": C(0, 0, 0, True)}  # all negative and silent: F1 1.0
    r = leave_one_clip_out([silent], 0)
    assert r.mean_clip_f1 == 1.0 and r.pooled_f1 == 1.0


def test_variants_are_validated_like_a_configuration(tmp_path):
    base = parse_config({}, tmp_path)
    s = apply_variant(base, {"detector.confidence": 0.2, "detector.recheck_s": 2})
    assert s.detector.confidence == 0.2 and s.detector.recheck_s == 2.0 and base.detector.confidence == 0.25
    assert is_default(base, {"detector.confidence": 0.25}) and not is_default(base, {"detector.confidence": 0.3})
    with pytest.raises(ConfigError, match="detector.confidence: Input should be less than 1"):
        apply_variant(base, {"detector.confidence": 1.5})
    with pytest.raises(ConfigError, match="detector.imgsz: must be a multiple of 32"):
        apply_variant(base, {"detector.imgsz": 100})
    with pytest.raises(ConfigError, match="detector.confidenc: no such setting"):
        apply_variant(base, {"detector.confidenc": 0.2})
    with pytest.raises(ConfigError, match="nope.x: no such setting"):
        apply_variant(base, {"nope.x": 1})
    assert label({"detector.confidence": 0.2, "detector.tiles": False}) == "confidence=0.2, tiles=False"
    assert label({}) == "default"


def test_vary_options_make_the_product():
    assert parse_vary(["detector.confidence=0.2,0.3", "detector.tiles=true"]) == [
        {"detector.confidence": 0.2, "detector.tiles": True}, {"detector.confidence": 0.3, "detector.tiles": True}]
    assert parse_vary(["detector.model=a.pt, b.onnx"]) == [{"detector.model": "a.pt"}, {"detector.model": "b.onnx"}]
    for bad in ("detector.confidence", "=1", "detector.confidence="):
        with pytest.raises(ValueError, match="expected PATH=v1,v2"):
            parse_vary([bad])


def test_the_grid_in_bench_loco_is_valid_and_holds_the_default():
    base = parse_config({}, Path.cwd())
    assert len(VARIANTS) == 2 * len(TUNED)
    for v in VARIANTS:
        apply_variant(base, v)
    # each tuned value is varied a step each side; the default itself is added by the run
    assert not any(is_default(base, v) for v in VARIANTS)
    assert is_default(base, {})
