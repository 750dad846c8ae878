"""Signal receivers: credit records created from reviewed inspections."""
