"""Find, prove and trace torch.compile failures in Inductor's generated C++."""

__version__ = "0.1.0"
