"""Output comparison (pure): stdin/stdout lines with decimal tokens, functional JSON values."""

from __future__ import annotations

from verifiers.sandbox.compare import compare_functional, compare_stdout


def test_stdout_lines_are_stripped_and_trailing_blank_lines_ignored() -> None:
    assert compare_stdout("  16 \n2\n\n", "16\n2") is None


def test_stdout_numeric_tokens_compare_as_decimals() -> None:
    assert compare_stdout("1.50 2\n", "1.5 2.0") is None
    assert compare_stdout("1e3\n", "1000") is None


def test_stdout_different_numbers_fail_without_tolerance() -> None:
    why = compare_stdout("0.3333333333\n", "0.333333333333")
    assert why is not None and "line 1" in why


def test_stdout_float_tolerance_is_relative_and_absolute() -> None:
    assert compare_stdout("0.3333333333\n", "0.333333333333", float_tol=1e-6) is None
    assert compare_stdout("1000001\n", "1000000", float_tol=1e-6) is None
    assert compare_stdout("1000010\n", "1000000", float_tol=1e-6) is not None


def test_stdout_line_count_and_text_must_match() -> None:
    assert "2 lines" in (compare_stdout("Yes\n", "Yes\nNo") or "")
    assert "expected 'Yes'" in (compare_stdout("yes", "Yes") or "")
    assert compare_stdout("1 2", "1 2 3") is not None  # token counts differ


def test_stdout_nan_and_infinity_are_not_numbers_here() -> None:
    assert compare_stdout("nan", "NaN") is not None


def test_functional_values_compare_after_json_decoding() -> None:
    assert compare_functional("[1, 2]", "[1, 2]") is None
    assert compare_functional("true", "true") is None
    assert compare_functional("2.0", "2") is None
    assert compare_functional("[1, 2]", "[2, 1]") is not None
    assert compare_functional('"1"', "1") is not None


def test_functional_float_tolerance_reaches_nested_values() -> None:
    assert compare_functional("[0.1000001]", "[0.1]") is not None
    assert compare_functional("[0.1000001]", "[0.1]", float_tol=1e-5) is None


def test_functional_missing_or_garbage_result_fails() -> None:
    assert "no return value" in (compare_functional(None, "1") or "")
    assert "not JSON" in (compare_functional("<object>", "1") or "")
