"""hallq queue server. Importing the package loads nothing else."""

__version__ = "0.1.0"
