"""SHH Converter: drop images, get web-ready files back (the formats: core/formats/)."""

__version__ = "5.0.0"  # the one place: package, installers, executables, update check
APP_NAME = "SHH Converter"
