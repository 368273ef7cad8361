"""Report: the documents and pictures a run folder hands on, written from its evidence alone.

`documents` (diagnosis, upstream issue drafts, the index), `draw` (Graphviz pictures),
`flakiness` (why a test fails only among others).
"""
