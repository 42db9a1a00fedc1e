"""What makes a PDF or DOCX unsafe to keep, decided by parsers rather than byte patterns.

``verdict(kind, data)`` answers None (nothing active found) or a refusal code.  It runs inside the
parser sandbox (``sandbox_child``): it imports nothing from the portal (the child loads this file
by path) and trusts nothing in the file.  Parsers see what a viewer sees: pikepdf (qpdf) decodes
``#xx`` name escapes, hex and octal strings, and compressed object streams; expat (through
defusedxml's rules) reads XML in any declared encoding, UTF-16 included, and refuses DTDs.

PDF: every object in the file is walked (not only those reachable from the catalog: damaged files
are rebuilt differently by different viewers), every dictionary inside each one too.  Refused:
scripts (/JS, the /JavaScript name tree, JavaScript and Rendition actions, ``javascript:`` links),
embedded files (/EmbeddedFiles, /EF, /EmbeddedFile streams, file attachment annotations), rich
media, 3D and screen annotations, XFA forms, and the actions that leave the document: /Launch,
/SubmitForm, /ImportData, /GoToR, /GoToE.  Ordinary links (http, mailto) and jumps are fine.

DOCX: every part's content type and name, every relationship, every XML part.  Refused: DTDs and
entities in any part, macros (VBA parts, macro-enabled content types), ActiveX controls, OLE
objects, altChunk imports, external targets on anything but a hyperlink, attached templates,
sub-documents, DDE and INCLUDETEXT fields.
"""

from __future__ import annotations

import io
import re
import zipfile
from urllib.parse import unquote
from xml.parsers import expat

MAX_NODES = 2_000_000  # PDF dictionaries and arrays walked before giving up ("limit")
MAX_PARTS = 1000
MAX_PART_BYTES = 20 * 1024 * 1024
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class Verdict(Exception):
    """Stop at the first finding; ``code`` names it."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def verdict(kind: str, data: bytes) -> str | None:
    """None when nothing active was found, else the refusal code."""
    try:
        if kind == "pdf":
            _pdf(data)
        elif kind == "docx":
            _docx(data)
    except Verdict as found:
        return found.code
    return None


def bad_link(target: str) -> bool:
    """A link that runs code when followed (``javascript:``, ``vbscript:``, ``data:``)."""
    # Viewers and browsers drop control characters and spaces inside a scheme ("java\tscript:").
    cleaned = "".join(ch for ch in target[:200] if ch > " ").lower()
    return cleaned.startswith(BAD_SCHEMES)


# --- PDF ---------------------------------------------------------------------------------------

PDF_ACTIVE_KEYS = frozenset(
    {"/JS", "/JavaScript", "/EmbeddedFiles", "/EF", "/RichMediaContent", "/RichMediaSettings"}
    | {"/XFA"}
)
PDF_ACTIVE_ACTIONS = frozenset({"/JavaScript", "/Rendition", "/RichMediaExecute"})
PDF_LEAVING_ACTIONS = frozenset({"/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE"})
PDF_ACTIVE_SUBTYPES = frozenset(
    {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"}
)


def _pdf(data: bytes) -> None:
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError:
        raise Verdict("encrypted") from None
    except Exception:  # qpdf could not make sense of it, even after trying to repair it
        raise Verdict("unreadable") from None
    with pdf:
        if pdf.is_encrypted:
            raise Verdict("encrypted")
        try:
            if len(pdf.pages) == 0:
                raise Verdict("unreadable")
            _walk_pdf(pdf, pikepdf)
        except pikepdf.PdfError:
            raise Verdict("unreadable") from None


def _walk_pdf(pdf, pikepdf) -> None:
    kinds, base = pikepdf.ObjectType, pikepdf.Object
    containers = (kinds.dictionary, kinds.stream, kinds.array)
    stack = [pdf.trailer, *pdf.objects]
    seen = 0
    while stack:
        obj = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise Verdict("limit")
        code = obj._type_code
        if code == kinds.array:
            values = list(obj)
        elif code in (kinds.dictionary, kinds.stream):
            _check_pdf_dict(obj, kinds, base)
            values = list(obj.values())
        else:
            continue
        # Numbers come back as Python values; indirect objects are walked on their own (they
        # are all in pdf.objects): only direct dictionaries and arrays are pushed.
        stack.extend(
            v
            for v in values
            if isinstance(v, base) and v._type_code in containers and not v.is_indirect
        )


def _name(value, kinds, base) -> str | None:
    if isinstance(value, base) and value._type_code == kinds.name_:
        return str(value)
    return None


def _check_pdf_dict(d, kinds, base) -> None:
    keys = set(d.keys())
    if keys & PDF_ACTIVE_KEYS:
        raise Verdict("active")
    if "/S" in keys:
        action = _name(d.get("/S"), kinds, base)
        if action in PDF_ACTIVE_ACTIONS:
            raise Verdict("active")
        if action in PDF_LEAVING_ACTIONS:
            raise Verdict("pdf_actions")
    if "/URI" in keys:
        uri = d.get("/URI")
        is_text = isinstance(uri, base) and uri._type_code == kinds.string
        if is_text and bad_link(_pdf_text(bytes(uri))):
            raise Verdict("active")
    if "/Subtype" in keys and _name(d.get("/Subtype"), kinds, base) in PDF_ACTIVE_SUBTYPES:
        raise Verdict("active")
    if "/Type" in keys and _name(d.get("/Type"), kinds, base) == "/EmbeddedFile":
        raise Verdict("active")


def _pdf_text(raw: bytes) -> str:
    """A PDF text string: UTF-16 or UTF-8 with a byte-order mark, else PDFDocEncoding (which
    agrees with Latin-1 on everything a URI scheme can contain)."""
    if raw.startswith((b"\xfe\xff", b"\xff\xfe")):
        return raw.decode("utf-16", "replace")
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", "replace")
    return raw.decode("latin-1")


# --- DOCX --------------------------------------------------------------------------------------

NS_WORD = "wordprocessingml"  # transitional and strict namespaces both contain it
NS_OFFICE = "urn:schemas-microsoft-com:office:office"
MACRO_NAMES = ("vbaproject.bin", "vbadata.xml", "vbaprojectsignature.bin", "attachedtoolbars.bin")
MACRO_TYPES = ("macroenabled", "vbaproject", "vbadata")
EMBEDDED_TYPES = ("activex", "oleobject")
# Relationship types (the last segment of the Type URI, lower-cased).
MACRO_RELS = {"vbaproject", "wordvbadata", "vbaprojectsignature", "keymapcustomizations"}
EMBEDDED_RELS = {"oleobject", "control", "activexcontrol", "activexcontrolbinary", "afchunk"}
EXTERNAL_RELS = {"attachedtemplate", "subdocument"}  # even when they claim to be internal
WORD_EMBEDDED = {"altChunk", "control", "objectEmbed", "objectLink"}
OFFICE_EMBEDDED = {"OLEObject"}
FIELDS = re.compile(r"^\s*(DDE|DDEAUTO|INCLUDETEXT)\b", re.IGNORECASE)
XML_SUFFIXES = (".xml", ".rels", ".vml")
# Parts Word reads as definitions, never as text with objects or fields: only their prolog
# (where a DTD would be) is read.  python-docx writes 800 kB of styles into every file.
DEFINITION_TYPES = (
    ".styles+xml",
    ".styleswitheffects+xml",
    ".theme+xml",
    ".fonttable+xml",
    ".numbering+xml",
    ".websettings+xml",
)


def _docx(data: bytes) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise Verdict("zip_bad") from None
    with zf:
        if len(infos) > MAX_PARTS:
            raise Verdict("zip_entries")
        _check_part_names(infos)
        types = _ContentTypes()
        _parse(zf, "[Content_Types].xml", types)
        for info in infos:
            _check_part(info.filename, types.of(info.filename))
        for info in infos:
            name = info.filename
            ctype = types.of(name)
            if name == "[Content_Types].xml":
                continue
            if name.lower().endswith(".rels"):
                _parse(zf, name, _Relationships(name))
            elif any(t in ctype for t in DEFINITION_TYPES):
                _parse(zf, name, _Prolog())
            elif ctype.endswith("xml") or name.lower().endswith(XML_SUFFIXES):
                _parse(zf, name, _Story(), svg=ctype == "image/svg+xml")
            elif _looks_like_xml(zf, name):
                # Typed as something else, so Word does not read it as XML; a DTD still is not
                # welcome, but a part that does not parse is none of our business.
                _parse(zf, name, None, strict=False)


def _part_key(name: str) -> str:
    """Part names are case-insensitive and may be percent-encoded (OPC)."""
    return unquote(name).lower().lstrip("/")


def _check_part_names(infos: list[zipfile.ZipInfo]) -> None:
    seen: set[str] = set()
    for info in infos:
        key = _part_key(info.filename)
        if key in seen:  # two parts one name: Word and our checks may read different ones
            raise Verdict("zip_names")
        seen.add(key)


def _check_part(name: str, ctype: str) -> None:
    key = _part_key(name)
    if key.rsplit("/", 1)[-1] in MACRO_NAMES or any(t in ctype for t in MACRO_TYPES):
        raise Verdict("macro")
    # Embedded workbooks behind charts (word/embeddings/*.xlsx) are judged by relationship.
    embedded_bin = key.startswith("word/embeddings/") and key.endswith(".bin")
    if key.startswith("word/activex/") or embedded_bin:
        raise Verdict("embedded")


# --- XML parts: expat, event by event ----------------------------------------------------------
#
# defusedxml's rules (no DTD, no entity declarations, no external references), applied with
# pyexpat's handlers directly: defusedxml.ElementTree builds its tree through the pure-Python
# XMLParser, ~0.5 s for the 800 kB of styles python-docx writes into every file.  Without a tree
# only the elements the rules look at cost a Python call, and definition parts stop at the root.


def _parse(zf: zipfile.ZipFile, name: str, watcher, *, svg=False, strict=True) -> None:
    """Parse one part as it is inflated; DTDs and entity declarations are refused (a DOCTYPE
    alone, in SVG, is allowed: drawing programs write one).  ``watcher`` sees the elements."""

    def doctype(*_args) -> None:
        if not svg:
            raise Verdict("xml_entities")

    def forbidden(*_args) -> None:
        raise Verdict("xml_entities")

    parser = expat.ParserCreate(namespace_separator="}")
    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = forbidden
    parser.UnparsedEntityDeclHandler = forbidden
    parser.ExternalEntityRefHandler = forbidden
    if watcher is not None:
        watcher.attach(parser)
    try:
        for chunk, last in _chunks(zf, name):
            parser.Parse(chunk, last)
    except _RootReached:
        return
    except (expat.ExpatError, ValueError, UnicodeError):
        if strict:
            raise Verdict("unreadable") from None
    if watcher is not None:
        watcher.finish()


def _chunks(zf: zipfile.ZipFile, name: str, size: int = 1 << 16):
    """The part's bytes, inflated a piece at a time (``last`` marks the final piece)."""
    total = 0
    try:
        with zf.open(name) as fh:
            chunk = fh.read(size)
            while True:
                total += len(chunk)
                if total > MAX_PART_BYTES:
                    raise Verdict("zip_bomb")
                following = fh.read(size) if chunk else b""
                yield chunk, not following
                if not following:
                    return
                chunk = following
    except KeyError:
        raise Verdict("magic_docx") from None
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError):
        raise Verdict("zip_bad") from None


class _RootReached(Exception):
    """The prolog is over: a DTD can no longer appear."""


class _Prolog:
    """Read up to the root element only (no DTD, no entity declarations: those live there)."""

    def attach(self, parser) -> None:
        parser.StartElementHandler = self.start

    def start(self, name: str, attrs: dict[str, str]) -> None:
        raise _RootReached


def _split(name: str) -> tuple[str, str]:
    ns, _, local = name.rpartition("}")
    return ns, local


def _attr(attrs: dict[str, str], local: str) -> str:
    for key, value in attrs.items():
        if key == local or key.endswith("}" + local):
            return value
    return ""


class _ContentTypes:
    """[Content_Types].xml: overrides by part name, defaults by extension."""

    def __init__(self) -> None:
        self.defaults: dict[str, str] = {}
        self.overrides: dict[str, str] = {}

    def attach(self, parser) -> None:
        parser.StartElementHandler = self.start

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _split(name)[1]
        ctype = (attrs.get("ContentType") or "").strip().lower()
        if any(t in ctype for t in MACRO_TYPES):
            raise Verdict("macro")
        if any(t in ctype for t in EMBEDDED_TYPES):
            raise Verdict("embedded")
        if local == "Default":
            self.defaults[(attrs.get("Extension") or "").lower()] = ctype
        elif local == "Override":
            self.overrides[_part_key(attrs.get("PartName") or "")] = ctype

    def finish(self) -> None:
        pass

    def of(self, name: str) -> str:
        key = _part_key(name)
        if key in self.overrides:
            return self.overrides[key]
        return self.defaults.get(key.rsplit(".", 1)[-1] if "." in key else "", "")


class _Relationships:
    """One .rels part: hyperlinks may point outside, nothing else may."""

    def __init__(self, name: str) -> None:
        self.from_chart = "/charts/" in f"/{_part_key(name)}"

    def attach(self, parser) -> None:
        parser.StartElementHandler = self.start

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if _split(name)[1] != "Relationship":
            return
        kind = (attrs.get("Type") or "").rstrip("/").rsplit("/", 1)[-1].lower()
        external = (attrs.get("TargetMode") or "").strip().lower() == "external"
        if kind == "hyperlink":
            if bad_link(attrs.get("Target") or ""):
                raise Verdict("external")
            return
        if external or kind in EXTERNAL_RELS:
            raise Verdict("external")
        if kind in MACRO_RELS:
            raise Verdict("macro")
        # Charts keep their data in an embedded workbook (a "package"); nothing else may.
        if kind in EMBEDDED_RELS or (kind == "package" and not self.from_chart):
            raise Verdict("embedded")

    def finish(self) -> None:
        pass


class _Story:
    """altChunk, ActiveX and OLE objects, and fields that run commands or pull in files.

    A complex field is fldChar begin, instrText runs (one word may be split over several runs),
    fldChar separate, the shown result, fldChar end; fields nest.  A simple field carries its
    instruction in an attribute.
    """

    def __init__(self) -> None:
        self.fields: list[list] = []  # [instruction so far, already checked], innermost last
        self.parser = None

    def attach(self, parser) -> None:
        self.parser = parser
        parser.StartElementHandler = self.start
        parser.EndElementHandler = self.end

    def start(self, name: str, attrs: dict[str, str]) -> None:
        ns, local = _split(name)
        if NS_WORD in ns:
            if local in WORD_EMBEDDED:
                raise Verdict("embedded")
            if local == "fldSimple":
                _check_field(_attr(attrs, "instr"))
            elif local == "instrText" and self.fields and not self.fields[-1][1]:
                self.parser.CharacterDataHandler = self.instruction
            elif local == "fldChar":
                self.field_char(_attr(attrs, "fldCharType"))
        elif ns == NS_OFFICE and local in OFFICE_EMBEDDED:
            raise Verdict("embedded")

    def end(self, name: str) -> None:
        if name.endswith("}instrText"):
            self.parser.CharacterDataHandler = None

    def instruction(self, text: str) -> None:
        self.fields[-1][0] += text

    def field_char(self, state: str) -> None:
        if state == "begin":
            self.fields.append(["", False])
        elif state in ("separate", "end") and self.fields:
            self._check(self.fields[-1])
            if state == "end":
                self.fields.pop()

    def finish(self) -> None:
        for field in self.fields:  # never closed: Word still reads the instruction
            self._check(field)

    @staticmethod
    def _check(field: list) -> None:
        if not field[1]:
            _check_field(field[0])
            field[1] = True


def _check_field(instruction: str) -> None:
    if FIELDS.match(instruction):
        raise Verdict("fields")


def _looks_like_xml(zf: zipfile.ZipFile, name: str) -> bool:
    try:
        with zf.open(name) as fh:
            head = fh.read(64)
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError, ValueError):
        raise Verdict("zip_bad") from None
    head = head.removeprefix(b"\xef\xbb\xbf")
    if head.startswith((b"\xff\xfe", b"\xfe\xff", b"<\x00", b"\x00<")):
        return True
    return head.lstrip().startswith(b"<")
