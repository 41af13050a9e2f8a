"""Data files shipped with the app (icons, the bundled u2netp model).

In a source checkout this is the top-level ``assets/`` folder; in a wheel it is
installed as the ``shh_converter.assets`` package. Use ``shh_converter.paths.asset_dir()``
rather than importing this module.
"""
