"""The app logo shown on the consent screen (VERIFY-2): uploaded bytes in, a clean PNG out.

A logo is served to every user who sees the consent screen, so nothing of the upload survives
but its pixels: the format is checked from the file's header against an allowlist before any
decoding (SVG, HTML or a script behind an image file name is refused), the size is bounded in
bytes and in pixels before decoding (decompression bombs), and the output is a new PNG built from
the first frame's pixels, without EXIF, text chunks, colour profiles or trailing bytes.

Like Google's consent screen, the logo is shown at 120x120. Uploads must be roughly square
(at most 4:3 either way) and at least 64 pixels a side; each is scaled, keeping its shape, to fit
120x120 and centred on a transparent square, so a near-square logo is neither cropped nor
stretched.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps

from consentry.errors import DomainError

MAX_BYTES = 1024 * 1024
#: Checked from the header, before decoding. Pillow's own bomb limit (about 89 Mpx, an error
#: above twice that) is far higher; anything it would warn about is refused here first.
MAX_PIXELS = 4096 * 4096
MIN_SIDE = 64
#: Widest shape still "roughly square"; the logo is padded, not cropped, to a square.
MAX_ASPECT = 4 / 3
SIZE = 120
#: Pillow format names tried when opening; MPO is a JPEG with extra pictures (phone cameras).
OPEN_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
ACCEPTED_FORMATS = frozenset({*OPEN_FORMATS, "MPO"})


def _refuse(why: str) -> DomainError:
    return DomainError("invalid_logo", f"The logo was not accepted: {why}.")


def _check_shape(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise _refuse(f"it is {width}x{height} pixels; upload at most {MAX_PIXELS} pixels (4096x4096)")
    if min(width, height) < MIN_SIDE:
        raise _refuse(f"it is {width}x{height} pixels; each side needs at least {MIN_SIDE} (120x120 is best)")
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise _refuse(f"it is {width}x{height} pixels; upload a square image, 120x120 is best")


def _upright(image: Image.Image) -> Image.Image:
    """The picture as a camera meant it to be seen: the EXIF orientation is about to be dropped."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # a broken orientation tag only costs the rotation
        return image


def _pixels(data: bytes) -> Image.Image:
    """The first frame's pixels as a fresh RGBA image that carries nothing else of the upload."""
    try:
        with Image.open(io.BytesIO(data), formats=OPEN_FORMATS) as image:
            if image.format not in ACCEPTED_FORMATS:
                raise _refuse("use a PNG, JPEG, GIF or WebP image")
            _check_shape(*image.size)
            image.seek(0)
            image.load()
            rgba = _upright(image).convert("RGBA")
            return Image.frombytes("RGBA", rgba.size, rgba.tobytes())
    except DomainError:
        raise
    except Image.DecompressionBombError:
        raise _refuse(f"it has too many pixels; upload at most {MAX_PIXELS} pixels (4096x4096)") from None
    except Image.UnidentifiedImageError:
        raise _refuse(
            "it is not a PNG, JPEG, GIF or WebP image (SVG and other formats are not accepted)"
        ) from None
    except Exception:
        # Hostile or damaged files make Pillow's decoders raise many kinds of errors; any of them
        # means the upload is not a logo we can show.
        raise _refuse("the image is damaged or could not be read") from None


def reencode_logo(data: bytes) -> bytes:
    """A new 120x120 RGBA PNG from an uploaded logo, or ``DomainError("invalid_logo", why)``."""
    if not isinstance(data, bytes | bytearray) or not data:
        raise _refuse("the file is empty")
    if len(data) > MAX_BYTES:
        raise _refuse(f"the file has {len(data)} bytes; upload at most 1 MiB")
    pixels = _pixels(bytes(data))
    scale = SIZE / max(pixels.size)
    width, height = (max(1, round(side * scale)) for side in pixels.size)
    resized = pixels.resize((width, height), Image.Resampling.LANCZOS)
    canvas = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    canvas.paste(resized, ((SIZE - width) // 2, (SIZE - height) // 2))
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=True)
    return out.getvalue()
