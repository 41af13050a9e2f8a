"""Errors that are the user's business (bad file, no space), as opposed to bugs.

A :class:`ConversionError` carries a short, specific, one-line message for people
("image too large: 24000x18000 = 432 MP, limit 100 MP"). The runner turns it into
a failed :class:`~shh_converter.core.jobs.JobResult`; any other exception is a bug
and is reported with its traceback (and a crash report, once that sidecar exists).
"""

from __future__ import annotations


class ConversionError(Exception):
    """A per-file problem the user can understand and act on. ``str(e)`` is the message."""


class UnsupportedFormatError(ConversionError):
    """Not an image, or an image format/mode we cannot read."""


class CorruptImageError(ConversionError):
    """Truncated or damaged image data."""


class ImageTooLargeError(ConversionError):
    """Dimensions, pixel count or file size over the configured limits."""


class EncodeError(ConversionError):
    """The encoder refused the image (e.g. JPEG size limits, no AVIF encoder)."""


class OutputError(ConversionError):
    """The output could not be written (permissions, disk full, bad name)."""


class BackgroundRemovalError(ConversionError):
    """The background could not be removed (model missing or damaged, inference failed)."""


class ProcessingTimeoutError(ConversionError):
    """One file took longer than ``features.processing_timeout_seconds``."""


class UsageError(Exception):
    """Bad command-line arguments or configuration (CLI exit code 2)."""
