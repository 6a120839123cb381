import pytest

from extract.report.values import parse_value


@pytest.mark.parametrize("raw, value, unit, flags", [
    ("12", 12, "", []), ("１２", 12, "", []), ("12件", 12, "件", ["unit_in_cell"]),
    ("1,234", 1234, "", []), ("+3", 3, "", []), ("-2", -2, "", []),
    ("增加3", 3, "", ["signed_text"]), ("减少2", -2, "", ["signed_text"]), ("减2", -2, "", ["signed_text"]),
    ("0.092", 0.092, "", []), ("251000元", 251000, "元", ["unit_in_cell"]), ("0.5万元", 0.5, "万元", ["unit_in_cell"]),
    ("", None, "", ["blank"]), ("—", None, "", ["dash"]), ("/", None, "", ["dash"]), ("无", None, "", ["dash"]),
    ("-", None, "", ["dash"]), ("——", None, "", ["dash"]), ("见附件", None, "", ["not_a_number"]),
])
def test_parse_value(raw, value, unit, flags):
    v = parse_value(raw)
    assert (v.value, v.unit, v.flags) == (value, unit, flags)
