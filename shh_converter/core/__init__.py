"""The display-free engine. Nothing below this package may import tkinter."""
