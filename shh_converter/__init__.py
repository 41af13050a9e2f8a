"""SHH Converter: drop images, get web-ready WebP/JPEG/PNG/AVIF files back."""

__version__ = "0.1.0"
APP_NAME = "SHH Converter"
