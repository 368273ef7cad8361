"""Analysis: read what a capture kept, without torch.

`kernel` (def-use analysis of Inductor's C++), `scan` (the linter over files and folders),
`trace` (a finding back through the layers to its line of Python), `compiler` (what a compiler's
message says), `known` (which upstream issue a finding is).
"""
