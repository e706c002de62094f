"""Small PNG previews of attached images and PDFs (their first page), made in the background
(``tickets.tasks.attachment_preview_task``) and served only through the permission-checked
``/files/<id>/preview/`` (docs/workspace.md#attachment-previews).

A preview is a file of our own making (decoded and re-encoded by Pillow), so it can be shown
inline; the customer's file itself is only ever a download.
"""

from __future__ import annotations

import logging
import warnings
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from supportal.tickets.models import Attachment

logger = logging.getLogger(__name__)

PREVIEW_SIZE = (480, 480)
# A picture of more pixels than this is not decoded (a "decompression bomb" is a small file
# that decodes to gigabytes).
MAX_PIXELS = 40_000_000
_IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp")


def preview_kind(file_name: str, content_type: str) -> str:
    """ "image", "pdf" or "" (no preview), from the declared type or else the name."""
    content_type = (content_type or "").split(";")[0].strip().lower()
    name = (file_name or "").lower()
    if content_type in _IMAGE_TYPES or name.endswith(_IMAGE_SUFFIXES):
        return "image"
    if content_type == "application/pdf" or name.endswith(".pdf"):
        return "pdf"
    return ""


def preview_storage() -> Storage:
    return Attachment._meta.get_field("file").storage


def preview_name(attachment_id: int) -> str:
    return f"previews/{attachment_id}.png"


def preview_exists(attachment_id: int) -> bool:
    return preview_storage().exists(preview_name(attachment_id))


def _image(data: bytes, kind: str):
    from PIL import Image, ImageOps

    if kind == "pdf":
        import pypdfium2  # type: ignore[import-untyped]

        document = pypdfium2.PdfDocument(data)
        try:
            page = document[0]
            width = page.get_width() or 1
            picture = page.render(scale=min(2.0, PREVIEW_SIZE[0] * 2 / width)).to_pil()
        finally:
            document.close()
        return picture
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        picture = Image.open(BytesIO(data))
        picture.seek(0)
        picture.load()
    return ImageOps.exif_transpose(picture)


def attachment_preview_make(attachment_id: int) -> bool:
    """Make (or make again) the preview of one attachment; False when it has none (not an
    image or a PDF, unreadable, too large, deleted meanwhile). Side effect: the PNG file."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return False
    kind = preview_kind(attachment.file_name, attachment.content_type)
    if not kind:
        return False
    try:
        with attachment.file.open("rb") as stream:
            data = stream.read()
        picture = _image(data, kind)
        picture.thumbnail(PREVIEW_SIZE)
        if picture.mode not in ("RGB", "RGBA", "L", "LA"):
            picture = picture.convert("RGBA")
        out = BytesIO()
        picture.save(out, format="PNG", optimize=True)
    except Exception:
        # A broken or hostile file gets no preview; it stays downloadable.
        logger.warning("no preview for attachment %s", attachment_id, exc_info=True)
        return False
    storage = preview_storage()
    name = preview_name(attachment_id)
    if storage.exists(name):
        storage.delete(name)
    storage.save(name, ContentFile(out.getvalue()))
    return True
