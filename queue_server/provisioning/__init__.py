"""A hall's whole set-up as one XLSX workbook (大厅配置工作簿): its format and Chinese headers, the export of a
hall, the blank template, and the import that checks every cell first and writes nothing unless all are right.

Rule: imports the engine's set-up ops and rules, the catalogue's guide edits, storage's tables, openpyxl, babel
(to read the zh_Hans catalogue for refusals) and the shared vocabulary; no Flask, no web, no realtime. Writes run
through Runtime.execute like every write (the import is one op in one transaction).
"""
