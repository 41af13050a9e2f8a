"""SHH Converter: drop images, get web-ready WebP/JPEG/PNG/AVIF files back."""

__version__ = "5.0.0"  # the one place: package, installers, executables, update check
APP_NAME = "SHH Converter"
