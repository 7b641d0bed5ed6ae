"""Command-line interface: a thin click layer over the library (the library never imports click)."""
