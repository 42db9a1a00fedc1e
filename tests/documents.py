"""Real and hostile PDF and DOCX files, built on the fly for the upload tests.

The hostile ones hide active content the way real attacks do: names spelled with ``#xx`` escapes,
objects packed into compressed object streams, hex strings, other quoting styles, XML parts in
UTF-16.  Each builder returns bytes a viewer (or Word) would open.
"""

from __future__ import annotations

import io
import re
import zipfile

import pikepdf

from portal.seed.recruiting import text_docx, text_pdf

# --- PDF ---------------------------------------------------------------------------------------


def raw_pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF of the given object bodies (numbered from 1), with a correct xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        root,
        xref,
    )
    return bytes(out)


def page_pdf(
    *,
    text: str = "Maria Silva - maria.silva@example.com - +55 11 98765-4321",
    catalog: bytes = b"",
    page: bytes = b"",
    extra: list[bytes] | None = None,
) -> bytes:
    """A one-page PDF; ``catalog``/``page`` add entries, ``extra`` objects are numbered from 6."""
    content = b"BT /F1 12 Tf 72 720 Td (%s) Tj ET" % text.encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b">>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> " + page + b">>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        *(extra or []),
    ]
    return raw_pdf(objects)


def tiny_pdf(text: str = "Fax") -> bytes:
    """A small, ordinary one-page PDF."""
    return page_pdf(text=text)


def packed(data: bytes, change=None) -> bytes:
    """Re-save ``data`` with pikepdf, every object packed into compressed object streams;
    ``change(pdf)`` may edit the document first."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if change is not None:
            change(pdf)
        out = io.BytesIO()
        pdf.save(
            out,
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            compress_streams=True,
        )
    return out.getvalue()


def _hex(text: str) -> bytes:
    return b"<" + text.encode("latin-1").hex().encode() + b">"


def _link(action: bytes) -> bytes:
    return b"<< /Type /Annot /Subtype /Link /Rect [72 700 300 720] /Border [0 0 0] /A " + action


def _js_in_object_stream(pdf: pikepdf.Pdf) -> None:
    pdf.Root.OpenAction = pdf.make_indirect(
        pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    )


def _js_name_tree(pdf: pikepdf.Pdf) -> None:
    action = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
    pdf.Root.Names = pikepdf.Dictionary(
        JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("a"), action]))
    )


EMBEDDED_FILE = [
    b"<< /Type /Filespec /F (invoice.exe) /UF (invoice.exe) /EF << /F 7 0 R >> >>",
    b"<< /Length 2 >>\nstream\nMZ\nendstream",  # no /Type: the old byte check looked for one
]


def hostile_pdfs() -> list[tuple[str, bytes, str]]:
    """(label, bytes, refusal code): active content the byte patterns did not see."""
    base = text_pdf("Maria Silva\nmaria.silva@example.com\nAnalista financeira")
    return [
        (
            "javascript open action, encoded names",
            page_pdf(catalog=b"/OpenAction 6 0 R", extra=[b"<< /S /J#61vaScript /J#53 (app.a) >>"]),
            "active",
        ),
        ("javascript in a compressed object stream", packed(base, _js_in_object_stream), "active"),
        ("javascript name tree in an object stream", packed(base, _js_name_tree), "active"),
        (
            "javascript with hex-encoded key and value",
            page_pdf(
                catalog=b"/OpenAction << /S /#4A#61#76#61#53#63#72#69#70#74 /#4A#53 "
                + _hex("app.alert(1)")
                + b" >>"
            ),
            "active",
        ),
        (
            "page additional action launching a program",
            page_pdf(page=b"/AA << /O << /S /L#61unch /F (cmd.exe) >> >>"),
            "pdf_actions",
        ),
        (
            "link that submits a form",
            page_pdf(
                page=b"/Annots [6 0 R]",
                extra=[_link(b"<< /S /SubmitForm /F << /FS /URL /F (http://127.0.0.1/c) >> >> >>")],
            ),
            "pdf_actions",
        ),
        (
            "open action importing data",
            page_pdf(catalog=b"/OpenAction << /S /ImportData /F (data.fdf) >>"),
            "pdf_actions",
        ),
        (
            "link to a remote document",
            page_pdf(
                page=b"/Annots [6 0 R]",
                extra=[
                    _link(b"<< /S /GoToR /F (\\\\\\\\10.0.0.1\\\\s\\\\x.pdf) /D [0 /Fit] >> >>")
                ],
            ),
            "pdf_actions",
        ),
        (
            "javascript: link",
            page_pdf(
                page=b"/Annots [6 0 R]",
                extra=[_link(b"<< /S /URI /URI (javascript:app.alert\\(1\\)) >> >>")],
            ),
            "active",
        ),
        (
            "javascript: link as a hex string, mixed case",
            page_pdf(
                page=b"/Annots [6 0 R]",
                extra=[
                    _link(b"<< /S /URI /URI " + _hex(" \tJaVa\nScRiPt:app.alert(1)") + b" >> >>")
                ],
            ),
            "active",
        ),
        (
            "embedded files name tree",
            page_pdf(
                catalog=b"/Names << /EmbeddedFiles << /Names [(invoice.exe) 6 0 R] >> >>",
                extra=EMBEDDED_FILE,
            ),
            "active",
        ),
        (
            "file attachment annotation",
            page_pdf(
                page=b"/Annots [8 0 R]",
                extra=[
                    *EMBEDDED_FILE,
                    b"<< /Type /Annot /Subtype /FileAttachment /Rect [0 0 20 20] /FS 6 0 R >>",
                ],
            ),
            "active",
        ),
        (
            "rich media annotation",
            page_pdf(
                page=b"/Annots [6 0 R]",
                extra=[
                    b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 20 20] "
                    b"/RichMediaContent << /Assets << /Names [] >> >> >>"
                ],
            ),
            "active",
        ),
        (
            "XFA form",
            page_pdf(
                catalog=b"/AcroForm << /Fields [] /XFA 6 0 R >>",
                extra=[b"<< /Length 12 >>\nstream\n<xdp:xdp/>\n\nendstream"],
            ),
            "active",
        ),
    ]


def benign_pdfs() -> list[tuple[str, bytes]]:
    """Ordinary CVs and scans: links to the web and e-mail, internal jumps, object streams."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 6, "Maria Silva", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, "linkedin.com/in/maria", link="https://www.linkedin.com/in/maria")
    pdf.ln()
    pdf.cell(0, 6, "maria.silva@example.com", link="mailto:maria.silva@example.com")
    pdf.ln()
    target = pdf.add_link()
    pdf.cell(0, 6, "Experience (page 2)", link=target)
    pdf.add_page()
    pdf.set_link(target)
    pdf.cell(0, 6, "Experience")
    linked = bytes(pdf.output())
    return [
        ("fpdf2 CV with web, e-mail and internal links", linked),
        ("the same, packed in object streams", packed(linked)),
        ("hand-made one-page PDF", tiny_pdf("Maria Silva")),
        (
            "link annotation with a URI action",
            page_pdf(
                page=b"/Annots [6 0 R]",
                extra=[_link(b"<< /S /URI /URI (https://example.com/cv) >> >>")],
            ),
        ),
        ("go-to open action", page_pdf(catalog=b"/OpenAction [3 0 R /Fit]")),
    ]


# --- DOCX ---------------------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"


def docx_parts(data: bytes | None = None) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data or text_docx("Maria Silva\nmaria@example.com"))) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def zip_parts(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _rels(*relationships: str) -> bytes:
    body = "".join(relationships)
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    return f'{head}<Relationships xmlns="{RELS}">{body}</Relationships>'.encode()


def _with_rels(parts: dict[str, bytes], *relationships: str) -> dict[str, bytes]:
    """Add relationships to the main document's .rels (kept as it is otherwise)."""
    name = "word/_rels/document.xml.rels"
    rels = parts[name].decode("utf-8")
    return {
        **parts,
        name: rels.replace(
            "</Relationships>", "".join(relationships) + "</Relationships>"
        ).encode(),
    }


def _with_body(parts: dict[str, bytes], xml: str) -> dict[str, bytes]:
    """Insert ``xml`` at the start of the document body."""
    doc = parts["word/document.xml"].decode("utf-8")
    start = doc.index("<w:body>") + len("<w:body>")
    return {**parts, "word/document.xml": (doc[:start] + xml + doc[start:]).encode()}


def _with_types(
    parts: dict[str, bytes], *entries: str, old: str = "", new: str = ""
) -> dict[str, bytes]:
    types = parts["[Content_Types].xml"].decode("utf-8")
    if old:
        types = types.replace(old, new)
    types = types.replace("</Types>", "".join(entries) + "</Types>")
    return {**parts, "[Content_Types].xml": types.encode()}


def _utf16(xml: bytes) -> bytes:
    text = re.sub(r"encoding=(['\"])UTF-8\1", 'encoding="UTF-16"', xml.decode("utf-8"))
    return text.encode("utf-16")  # with a byte-order mark, as Word would read it


XXE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<w:document xmlns:w="{W}"><w:body><w:p><w:r><w:t>&xxe;</w:t></w:r></w:p></w:body>'
    "</w:document>"
).encode()

MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
MACRO_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def _rel(rel_id: str, kind: str, target: str, *, external: bool = False) -> str:
    mode = ' TargetMode="External"' if external else ""
    return f'<Relationship Id="{rel_id}" Type="{kind}" Target="{target}"{mode}/>'


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64
ACTIVEX = (
    b'<?xml version="1.0"?><ax:ocx xmlns:ax="http://schemas.microsoft.com/office/2006/activeX" '
    b'ax:classid="{8BD21D40-EC42-11CE-9E0D-00AA006002F3}"/>'
)
DDE = (
    '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
    '<w:r><w:instrText xml:space="preserve"> DD</w:instrText></w:r>'
    '<w:r><w:instrText xml:space="preserve">EAUTO c:\\\\windows\\\\system32\\\\cmd.exe '
    '"/k calc.exe"</w:instrText></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
)


def hostile_docx() -> list[tuple[str, bytes, str]]:
    """(label, bytes, refusal code): what the old byte patterns let through."""
    parts = docx_parts()
    template = _rels(
        f'<Relationship Id="rId1" Type="{R}/attachedTemplate" '
        "Target='http://127.0.0.1/t.dotm' TargetMode='External'/>"
    )
    long_comment = XXE.replace(b"?>", b"?><!--" + b" " * 9000 + b"-->", 1)
    custom_xml = _with_types(
        parts, '<Override PartName="/customXml/item1.dat" ContentType="application/xml"/>'
    )
    linked_ole = (
        f'<Relationship Id="rId90" Type="{R}/oleObject" '
        "Target='file://10.0.0.1/share/x.xls' TargetMode = 'External'/>"
    )
    macro_types = _with_types(
        parts,
        '<Override PartName="/word/macros.bin" '
        'ContentType="application/vnd.ms-office.vbaProject"/>',
        old=MAIN,
        new=MACRO_MAIN,
    )["[Content_Types].xml"]
    vba = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
    activex = _with_types(
        parts,
        '<Override PartName="/word/activeX/activeX1.xml" '
        'ContentType="application/vnd.ms-office.activeX+xml"/>',
    )
    ole_types = _with_types(
        parts,
        '<Default Extension="bin" '
        'ContentType="application/vnd.openxmlformats-officedocument.oleObject"/>',
    )
    html_types = _with_types(parts, '<Override PartName="/chunk.html" ContentType="text/html"/>')
    return [
        (
            "DTD in a UTF-16 document part",
            zip_parts({**parts, "word/document.xml": _utf16(XXE)}),
            "xml_entities",
        ),
        (
            "DTD after a long comment",
            zip_parts({**parts, "word/document.xml": long_comment}),
            "xml_entities",
        ),
        (
            "DTD in a part that is not named .xml",
            zip_parts({**custom_xml, "customXml/item1.dat": XXE}),
            "xml_entities",
        ),
        (
            "attached template, single-quoted external target",
            zip_parts({**parts, "word/_rels/settings.xml.rels": template}),
            "external",
        ),
        (
            "attached template, relationships in UTF-16",
            zip_parts(
                {**parts, "word/_rels/settings.xml.rels": _utf16(template.replace(b"'", b'"'))}
            ),
            "external",
        ),
        (
            "external relationship of another type (linked OLE object)",
            zip_parts(_with_rels(parts, linked_ole)),
            "external",
        ),
        (
            "external relationship of an unlisted type",
            zip_parts(
                _with_rels(
                    parts, _rel("rId90", f"{R}/video", "http://127.0.0.1/beacon", external=True)
                )
            ),
            "external",
        ),
        (
            "macros: content types in UTF-16, project under another name",
            zip_parts(
                {
                    **_with_rels(
                        {**parts, "[Content_Types].xml": _utf16(macro_types)},
                        _rel("rId91", vba, "macros.bin"),
                    ),
                    "word/macros.bin": OLE,
                }
            ),
            "macro",
        ),
        (
            "ActiveX control",
            zip_parts(
                {
                    **_with_body(
                        _with_rels(activex, _rel("rId92", f"{R}/control", "activeX/activeX1.xml")),
                        f'<w:p><w:r><w:object><w:control xmlns:r="{R}" r:id="rId92" w:name="X"/>'
                        "</w:object></w:r></w:p>",
                    ),
                    "word/activeX/activeX1.xml": ACTIVEX,
                }
            ),
            "embedded",
        ),
        (
            "embedded OLE object",
            zip_parts(
                {
                    **_with_rels(ole_types, _rel("rId93", f"{R}/oleObject", "embeddings/o1.bin")),
                    "word/embeddings/o1.bin": OLE,
                }
            ),
            "embedded",
        ),
        (
            "altChunk importing HTML",
            zip_parts(
                {
                    **_with_body(
                        _with_rels(html_types, _rel("rId94", f"{R}/aFChunk", "../chunk.html")),
                        f'<w:altChunk xmlns:r="{R}" r:id="rId94"/>',
                    ),
                    "chunk.html": b"<html><body><script>alert(1)</script></body></html>",
                }
            ),
            "embedded",
        ),
        ("DDE field split across runs", zip_parts(_with_body(parts, DDE)), "fields"),
    ]


def hyperlinked_docx() -> bytes:
    """An ordinary CV with web and e-mail hyperlinks (external relationships) and an image."""
    import docx
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.oxml.ns import qn
    from docx.oxml.shared import OxmlElement

    document = docx.Document()
    document.add_heading("Maria Silva", level=1)
    for url, text in [
        ("https://www.linkedin.com/in/maria", "LinkedIn"),
        ("mailto:maria.silva@example.com", "maria.silva@example.com"),
    ]:
        paragraph = document.add_paragraph()
        rel_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
        link = OxmlElement("w:hyperlink")
        link.set(qn("r:id"), rel_id)
        run = OxmlElement("w:r")
        t = OxmlElement("w:t")
        t.text = text
        run.append(t)
        link.append(run)
        paragraph._p.append(link)
    document.add_paragraph("Experiência: conciliação bancária, Excel, SAP.")
    section = document.sections[0]
    section.footer.paragraphs[0].text = "Página 1"
    png = (
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
        b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
        b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
    )
    document.add_picture(io.BytesIO(png))
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def benign_docx() -> list[tuple[str, bytes]]:
    parts = docx_parts(hyperlinked_docx())
    page_field = (
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r>'
        '<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
        '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>'
    )
    return [
        ("python-docx CV with hyperlinks, footer and image", hyperlinked_docx()),
        ("plain python-docx CV", text_docx("Maria Silva\nmaria@example.com")),
        ("CV with a page-number field", zip_parts(_with_body(parts, page_field))),
        (
            "CV whose document part is UTF-16",
            zip_parts({**parts, "word/document.xml": _utf16(parts["word/document.xml"])}),
        ),
    ]
