"""libreach: keeps a closed academic library serving its readers."""

__version__ = "0.1.0"
