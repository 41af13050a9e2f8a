"""Draw the app icon in code and write assets/icons/app.{png,ico,icns}.

Run: ``python build_scripts/make_icons.py``. The icon is drawn at 1024 px and
downsampled, so every size is crisp: a rounded square with a diagonal split
(photo on the left, transparent checkerboard on the right) — "convert, cut out".
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "assets" / "icons"
SIZE = 1024


def draw_icon() -> Image.Image:
    img = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    radius = SIZE // 5
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).rounded_rectangle((40, 40, SIZE - 40, SIZE - 40), radius, fill=255)

    # Left half: a little landscape "photo" (sky gradient, sun, hills).
    photo = Image.new("RGBA", (SIZE, SIZE))
    draw = ImageDraw.Draw(photo)
    for y in range(SIZE):
        t = y / SIZE
        draw.line(
            [(0, y), (SIZE, y)], fill=(int(40 + 60 * t), int(120 + 80 * t), int(230 - 40 * t), 255)
        )
    draw.ellipse((560, 200, 760, 400), fill=(255, 205, 60, 255))
    draw.polygon(
        [(0, 820), (300, 520), (600, 800), (820, 600), (SIZE, 780), (SIZE, SIZE), (0, SIZE)],
        fill=(40, 150, 90, 255),
    )

    # Right half: checkerboard = "transparent background".
    checker = Image.new("RGBA", (SIZE, SIZE), (235, 235, 240, 255))
    cdraw = ImageDraw.Draw(checker)
    step = SIZE // 8
    for row in range(8):
        for col in range(8):
            if (row + col) % 2:
                cdraw.rectangle(
                    (col * step, row * step, (col + 1) * step, (row + 1) * step),
                    fill=(200, 200, 210, 255),
                )
    diagonal = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(diagonal).polygon([(SIZE, 0), (SIZE, SIZE), (0, SIZE)], fill=255)
    body = Image.composite(checker, photo, diagonal)
    ImageDraw.Draw(body).line([(SIZE, 0), (0, SIZE)], fill=(255, 255, 255, 255), width=36)
    img.paste(body, (0, 0), mask)
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon = draw_icon()
    icon.resize((256, 256), Image.Resampling.LANCZOS).save(OUT / "app.png", optimize=True)
    icon.save(
        OUT / "app.ico",
        sizes=[(16, 16), (24, 24), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)],
    )
    icon.save(OUT / "app.icns")
    print("wrote", ", ".join(p.name for p in sorted(OUT.iterdir())))


if __name__ == "__main__":
    main()
