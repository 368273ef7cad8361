"""Repro: from a traced finding to the smallest program that still shows it, proven.

`render` (a captured FX graph as a torch function), `minimize` (delta debugging over the graph),
`oracle` (does a candidate show this bug), `scripts` (the repro files a run folder holds).
"""
