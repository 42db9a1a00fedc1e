"""Reading one e-mail (no server, no database): headers decoded as people read them, the text
body whatever its charset, attachments, quoted history, mail written by machines, and input that
is not an e-mail at all."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from portal.services.inbox import parsing

OWN = {"contato@empresa.com.br"}


def _mail(body: str = "Olá", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = headers.pop("From", "Ana Souza <ana@cliente.com.br>")
    msg["To"] = "contato@empresa.com.br"
    msg["Subject"] = headers.pop("Subject", "Pedido")
    msg["Message-ID"] = headers.pop("Message_ID", "<1@cliente.com.br>")
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def test_encoded_words_and_raw_utf8_headers_are_read_as_written():
    raw = (
        b"From: =?utf-8?q?Jo=C3=A3o_Ara=C3=BAjo?= <Joao@Cliente.com.br>\r\n"
        b'To: contato@empresa.com.br, "Vendas" <vendas@empresa.com.br>\r\n'
        b"Subject: =?iso-8859-1?q?Or=E7amento?= do caf\xc3\xa9 =?bogus?q?x?=\r\n"
        b"Message-ID: <abc@cliente.com.br>\r\n"
        b"Date: Wed, 03 Dec 2026 10:15:00 -0300\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"A=E7=FAcar e caf=E9, por favor.\r\n"
    )
    parsed = parsing.parse(raw, own_addresses=OWN)
    assert parsed.from_name == "João Araújo"
    assert parsed.from_address == "joao@cliente.com.br"
    assert parsed.subject.startswith("Orçamento do café")
    assert parsed.to_addresses == "contato@empresa.com.br, vendas@empresa.com.br"
    assert parsed.text == "Açúcar e café, por favor."
    assert parsed.message_id == "<abc@cliente.com.br>"
    assert parsed.date is not None and parsed.date.hour == 13  # in UTC
    assert parsed.automatic is None


def test_folded_encoded_subject_keeps_its_spaces():
    msg = _mail(Subject="Atualização cadastral — razão social da empresa Conceição Ltda.")
    raw = msg.as_bytes()
    assert b"=?utf-8?" in raw  # encoded, and folded over several lines
    assert parsing.parse(raw).subject == (
        "Atualização cadastral — razão social da empresa Conceição Ltda."
    )


def test_html_only_mail_becomes_text_and_nul_bytes_are_dropped():
    raw = (
        b"From: x@y.com\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><style>p{color:red}</style><p>Ol\xc3\xa1 <b>mundo</b></p><p>fim\x00</p></html>"
    )
    parsed = parsing.parse(raw)
    assert parsed.text == "Olá mundo\nfim"
    assert "\x00" not in parsed.raw_headers + parsed.text


def test_attachments_with_encoded_names():
    msg = _mail("Segue a nota.")
    msg.add_attachment(b"%PDF-1.4 ...", maintype="application", subtype="pdf",
                       filename="Nota fiscal nº 12 — março.pdf")  # fmt: skip
    msg.add_attachment(b"a,b\n", maintype="text", subtype="csv", filename="itens.csv")
    parsed = parsing.parse(msg.as_bytes())
    assert [(p.filename, p.content_type, p.data) for p in parsed.attachments] == [
        ("Nota fiscal nº 12 — março.pdf", "application/pdf", b"%PDF-1.4 ..."),
        ("itens.csv", "text/csv", b"a,b\n"),
    ]
    assert parsed.text == "Segue a nota."


def test_quoted_history_is_not_shown_but_kept():
    body = "Obrigada!\n\nEm qua., 3 de dez. de 2026, Beatriz escreveu:\n> Chega amanhã.\n"
    parsed = parsing.parse(_mail(body, In_Reply_To="<0@empresa.com.br>").as_bytes())
    assert parsed.shown_text == parsed.preview == "Obrigada!"
    assert "Chega amanhã." in parsed.text
    assert parsed.thread_key == parsed.in_reply_to == "<0@empresa.com.br>"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Auto_Submitted": "auto-replied"}, "auto_reply"),
        ({"Auto_Submitted": "no"}, None),
        ({"Precedence": "bulk"}, "auto_reply"),
        ({"X_Autoreply": "yes"}, "auto_reply"),
        ({"Return_Path": "<>"}, "bounce"),
        ({"From": "MAILER-DAEMON@mx.cliente.com.br"}, "bounce"),
        ({"List_Id": "<novidades.loja.com.br>"}, "list"),
        ({"From": "Contato <Contato@Empresa.com.br>"}, "loop"),
        ({}, None),
    ],
)
def test_mail_written_by_machines_is_recognised(headers, expected):
    assert parsing.parse(_mail(**headers).as_bytes(), own_addresses=OWN).automatic == expected


def test_a_delivery_report_is_a_bounce():
    report = EmailMessage()
    report["From"] = "Mail System <postmaster@cliente.com.br>"
    report["Subject"] = "Delivery Status Notification"
    report.set_content("Falhou.")
    report.add_attachment("Action: failed\n", subtype="delivery-status")
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"')
    assert parsing.parse(report.as_bytes()).automatic == "bounce"


@pytest.mark.parametrize(
    "raw",
    [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"isto nao e um e-mail\r\nnem aqui\r\n", b""],
)
def test_what_is_not_an_email_is_unreadable(raw):
    with pytest.raises(parsing.Unreadable, match="not an e-mail"):
        parsing.parse(raw)
