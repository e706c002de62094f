"""Pictures of articles: an upload is decoded and re-encoded by Pillow, so what is stored and
served is a file of our own making (PNG, or JPEG for a JPEG photo), never the uploaded bytes
(docs/knowledge.md#pictures)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO

from django.utils.translation import gettext as _

from supportal.core.errors import InvalidInput

MAX_BYTES = 10 * 1024 * 1024
# More pixels than this is not decoded (a small file can decode to gigabytes).
MAX_PIXELS = 40_000_000
# Larger pictures are scaled down to fit: an article is read on a screen.
MAX_SIDE = 1600


@dataclass(frozen=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int


def picture_encode(data: bytes) -> Encoded:
    """``data`` (an uploaded file) decoded and encoded again, at most MAX_SIDE pixels a side,
    without its metadata. Raises InvalidInput for what is not a picture Pillow reads."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if len(data) > MAX_BYTES:
        raise InvalidInput(
            _("The picture is too large (at most %(max)d MB).") % {"max": MAX_BYTES // 2**20},
            field="picture",
        )
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            opened = Image.open(BytesIO(data))
            source_format = opened.format
            if source_format not in {"PNG", "JPEG", "GIF", "WEBP", "BMP"}:
                raise UnidentifiedImageError(source_format)
            opened.seek(0)
            opened.load()
        picture: Image.Image = ImageOps.exif_transpose(opened)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning,
            OSError, ValueError, EOFError) as exc:  # fmt: skip
        raise InvalidInput(
            _("This file is not a picture we can show (PNG, JPEG, GIF, WebP or BMP)."),
            field="picture",
        ) from exc
    picture.thumbnail((MAX_SIDE, MAX_SIDE))
    out = BytesIO()
    if source_format == "JPEG":
        picture.convert("RGB").save(out, format="JPEG", quality=85, optimize=True)
        content_type = "image/jpeg"
    else:
        if picture.mode not in ("RGB", "RGBA", "L", "LA"):
            picture = picture.convert("RGBA")
        picture.save(out, format="PNG", optimize=True)
        content_type = "image/png"
    return Encoded(out.getvalue(), content_type, picture.width, picture.height)
