"""The streamed CSV downloads every export page uses (crm_project.csv_export)."""

from decimal import Decimal

from crm_project.csv_export import csv_response, neutralise


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_prefixed_and_numbers_pass_through():
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert neutralise("-2+3") == "'-2+3"
    assert neutralise("Ada") == "Ada"
    assert neutralise(-5) == -5
    assert neutralise(Decimal("-1.50")) == Decimal("-1.50")


def test_the_response_streams_the_header_then_each_row_with_every_text_cell_neutralised():
    response = csv_response([["=cmd", 1, "@x"], ["Ada", -2, "ok"]], filename="x.csv", header=["a", "b", "c"])
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).decode() == "a,b,c\r\n'=cmd,1,'@x\r\nAda,-2,ok\r\n"
