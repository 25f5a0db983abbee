"""CSV cells that a spreadsheet shows as text, never runs as a formula."""

# A cell starting with one of these is a formula in Excel, LibreOffice and Google Sheets (tab and carriage return
# too: some programs skip them and read the formula after).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """`value` for a CSV cell: text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values) -> list:
    return [csv_cell(value) for value in values]
