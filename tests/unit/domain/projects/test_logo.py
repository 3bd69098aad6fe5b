"""The consent-screen logo (VERIFY-2): only pixels survive, in a fresh 120x120 PNG."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

from consentry.domain.projects.logo import MAX_BYTES, SIZE, reencode_logo
from consentry.errors import DomainError

RED = (200, 20, 20, 255)


def _image(size: tuple[int, int] = (200, 200), mode: str = "RGBA", color: object = RED) -> Image.Image:
    return Image.new(mode, size, color)  # type: ignore[arg-type]


def _bytes(image: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def _chunk_types(png: bytes) -> list[bytes]:
    """The chunk types of a PNG, read by hand so nothing is hidden by a decoder."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    types, at = [], 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        types.append(png[at + 4 : at + 8])
        at += 12 + length
    return types


def _opened(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image


def _pixel(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = image.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def _refused(data: bytes) -> str:
    with pytest.raises(DomainError) as caught:
        reencode_logo(data)
    assert caught.value.code == "invalid_logo"
    return caught.value.message


def test_metadata_does_not_survive() -> None:  # VERIFY-2: only the picture is republished
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    info.add_itxt("Author", "someone@example.com", zip=True)
    exif = Image.Exif()
    exif[0x010E] = "secret description"  # ImageDescription
    source = _bytes(_image(), "PNG", pnginfo=info, exif=exif, icc_profile=b"not really a profile")
    assert {b"tEXt", b"iTXt", b"eXIf", b"iCCP"} <= set(_chunk_types(source))  # the test input has them

    out = reencode_logo(source)
    assert set(_chunk_types(out)) <= {b"IHDR", b"IDAT", b"IEND"}
    assert b"script" not in out and b"secret" not in out and b"example.com" not in out
    image = _opened(out)
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (SIZE, SIZE))
    assert image.info == {}
    assert _pixel(image, (60, 60)) == RED


def test_jpeg_exif_is_dropped_and_its_orientation_applied() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "CameraMaker"
    source = _image((100, 80), "RGB", (10, 200, 10))
    out = reencode_logo(_bytes(source, "JPEG", exif=exif, quality=95))
    assert b"CameraMaker" not in out and b"Exif" not in out
    image = _opened(out)
    assert image.size == (SIZE, SIZE)
    # Upright it is 80 wide and 100 high: scaled to 96x120, centred, transparent at the sides.
    assert _pixel(image, (5, 60))[3] == 0
    assert _pixel(image, (60, 60))[3] == 255
    r, g, b, _a = _pixel(image, (60, 60))
    assert g > 150 and r < 60 and b < 60


def test_a_wide_logo_is_fitted_on_a_transparent_square() -> None:
    out = reencode_logo(_bytes(_image((160, 120)), "PNG"))
    image = _opened(out)
    assert image.size == (SIZE, SIZE)
    assert image.getbbox() == (0, 15, 120, 105)  # 120x90, centred
    assert _pixel(image, (60, 5)) == (0, 0, 0, 0)


def test_a_small_logo_is_scaled_up() -> None:
    image = _opened(reencode_logo(_bytes(_image((64, 64)), "PNG")))
    assert image.getbbox() == (0, 0, SIZE, SIZE)


def test_transparency_is_kept() -> None:
    source = _image((120, 120), "RGBA", (0, 0, 0, 0))
    source.paste(RED, (30, 30, 90, 90))
    image = _opened(reencode_logo(_bytes(source, "PNG")))
    assert _pixel(image, (0, 0)) == (0, 0, 0, 0)
    assert _pixel(image, (60, 60)) == RED


@pytest.mark.parametrize(
    ("fmt", "mode"), [("GIF", "P"), ("WEBP", "RGBA"), ("PNG", "L"), ("PNG", "P"), ("JPEG", "CMYK")]
)
def test_other_accepted_formats_and_modes(fmt: str, mode: str) -> None:
    color: object = (0, 0, 0, 0) if mode == "CMYK" else (128 if mode in ("L", "P") else RED)
    image = _opened(reencode_logo(_bytes(_image((130, 130), mode, color), fmt)))
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (SIZE, SIZE))


def test_an_animated_gif_keeps_its_first_frame() -> None:
    frames = [_image((100, 100), "RGB", c) for c in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    source = _bytes(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert getattr(Image.open(io.BytesIO(source)), "n_frames", 1) == 3
    out = reencode_logo(source)
    image = _opened(out)
    assert not getattr(image, "is_animated", False)
    assert b"acTL" not in out  # not an animated PNG either
    r, g, b, _a = _pixel(image, (60, 60))
    assert r > 200 and g < 50 and b < 50


@pytest.mark.parametrize(
    "data",
    [
        b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="120"><script>alert(1)</script></svg>',
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>',
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        b"<script>alert(1)</script>",
        b"%PDF-1.4 not a logo",
        b"GIF89a<script>alert(1)</script>",  # an image header over a script: not decodable
    ],
    ids=["svg-script", "svg", "html", "script", "pdf", "gif-header-script"],
)
def test_non_images_are_refused(data: bytes) -> None:  # VERIFY-2
    _refused(data)


def test_other_image_formats_are_refused_before_decoding() -> None:
    for fmt in ("BMP", "TIFF", "ICO"):
        assert "PNG, JPEG, GIF or WebP" in _refused(_bytes(_image((128, 128), "RGB"), fmt))


def test_a_script_appended_to_a_png_is_not_republished() -> None:
    polyglot = _bytes(_image(), "PNG") + b"<script>alert(1)</script>"
    out = reencode_logo(polyglot)
    assert b"<script>" not in out
    assert _chunk_types(out)[-1] == b"IEND" and out.endswith(b"IEND\xaeB`\x82")


def test_oversize_files_are_refused_before_decoding() -> None:
    assert "at most 1 MiB" in _refused(b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_BYTES)


def test_empty_input_is_refused() -> None:
    assert "empty" in _refused(b"")


def _png(width: int, height: int, idat: bytes, color_type: int = 0) -> bytes:
    """A PNG built by hand: a header claiming ``width``x``height``, and ``idat`` as its data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    # 6000x6000 grey pixels in about 35 KB: below Pillow's own limit, above ours.
    squeezer = zlib.compressobj(9)
    row = b"\x00" * 6001  # filter byte + 6000 pixels
    idat = b"".join(squeezer.compress(row) for _ in range(6000)) + squeezer.flush()
    bomb = _png(6000, 6000, idat)
    assert len(bomb) < 64 * 1024
    assert "6000x6000" in _refused(bomb)


def test_what_pillow_warns_about_is_refused() -> None:
    with pytest.warns(Image.DecompressionBombWarning):  # about 100 Mpx: Pillow only warns
        message = _refused(_png(10000, 10000, zlib.compress(b"\x00" * 100)))
    assert "4096x4096" in message


def test_what_pillow_refuses_itself_is_an_invalid_logo() -> None:
    # Pillow raises DecompressionBombError above about 179 Mpx; still an invalid_logo.
    assert "too many pixels" in _refused(_png(60000, 60000, zlib.compress(b"\x00" * 100), color_type=6))


def test_a_truncated_image_is_refused() -> None:
    data = _bytes(_image((256, 256), "RGB", (1, 2, 3)), "JPEG")
    assert "damaged" in _refused(data[: len(data) // 2])


@pytest.mark.parametrize(("size", "why"), [((63, 63), "at least 64"), ((300, 100), "square")])
def test_too_small_or_far_from_square_is_refused(size: tuple[int, int], why: str) -> None:
    assert why in _refused(_bytes(_image(size), "PNG"))
