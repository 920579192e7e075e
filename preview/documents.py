"""Sample PDFs for staff previews: a one-page document of plain text lines.

A preview's PDF link must open something that looks like a document, never a member's real
one. Writing the few PDF objects by hand keeps the preview free of a PDF library (production
installs none).
"""

from __future__ import annotations

from collections.abc import Sequence

_PAGE_WIDTH, _PAGE_HEIGHT = 595, 842  # A4 in points
_MARGIN = 56
_LINE = 16


def _text(value: str) -> bytes:
    # Helvetica with WinAnsiEncoding: what cp1252 cannot write becomes "?".
    raw = value.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def sample_pdf(title: str, lines: Sequence[str]) -> bytes:
    """A valid PDF 1.4 file: `title` in bold, then one line of text per item."""
    content = [b"BT", b"/F2 18 Tf", b"%d %d Td" % (_MARGIN, _PAGE_HEIGHT - _MARGIN)]
    content.append(b"(" + _text(title) + b") Tj")
    content += [b"/F1 11 Tf", b"0 -%d Td" % (_LINE * 2)]
    for line in lines:
        content += [b"(" + _text(line) + b") Tj", b"0 -%d Td" % _LINE]
    content.append(b"ET")
    stream = b"\n".join(content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
        b"/Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R >>"
        % (_PAGE_WIDTH, _PAGE_HEIGHT),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
