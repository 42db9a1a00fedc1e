"""What back office does with a message: each conversion in one step, a threaded reply through
the outbox (headers checked at the SMTP sink), auto-replies and bounces never answered."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest
from sqlalchemy import func, select

from portal.errors import InvalidTransition, ValidationError
from portal.extensions import db
from portal.models.frontdesk import StaffRequest
from portal.models.inbox import InboxMessage
from portal.models.outbox import OutboundMessage
from portal.services import inbox
from tests.documents import tiny_pdf


def _fetch(mailbox) -> list[InboxMessage]:
    inbox.fetch_mailbox(mailbox if isinstance(mailbox, int) else mailbox.id)
    db.session.expire_all()
    return list(db.session.scalars(select(InboxMessage).order_by(InboxMessage.id)))


@pytest.fixture
def desk(make_user):
    return make_user(roles=["back_office"], name="Beatriz Balcão", email="beatriz@empresa.com.br")


def test_turned_into_a_message_for_a_colleague(app, mailbox, deliver, desk, make_user):
    joao = make_user(name="João Silva", email="joao@empresa.com.br")
    deliver("Orçamento", "Por favor, liguem para mim.\n\n> citação antiga\n")
    (msg,) = _fetch(mailbox)
    assert msg.shown_text == "Por favor, liguem para mim."
    call = inbox.to_staff_message(msg, recipient="joao@empresa.com.br", actor=desk)
    db.session.commit()
    assert call.recipient_id == joao.id and "Por favor" in call.message
    assert msg.handled_as == "message" and msg.call_id == call.id and msg.status == "done"
    with pytest.raises(InvalidTransition):
        inbox.to_staff_message(msg, recipient="joao@empresa.com.br", actor=desk)


def test_turned_into_a_staff_request_by_the_sender(app, mailbox, deliver, desk, make_user):
    carla = make_user(name="Carla", email="carla@empresa.com.br")
    deliver(
        "Cadeira quebrada", "A cadeira da sala 3 quebrou.", sender="Carla <Carla@Empresa.com.br>"
    )
    deliver("De fora", "Olá", sender="x@fora.com")
    ours, outsider = _fetch(mailbox)
    req = inbox.to_staff_request(ours, type="general", actor=desk)
    db.session.commit()
    assert req.requester_id == carla.id and req.title == "Cadeira quebrada"
    with pytest.raises(ValidationError):
        inbox.to_staff_request(outsider, type="general", actor=desk)
    db.session.rollback()
    assert db.session.scalar(select(func.count(StaffRequest.id))) == 1


def test_supplier_reply_attached_to_the_order_in_the_subject(app, mailbox, deliver, desk):
    from portal.models.supplies import PurchaseOrder, Supplier

    supplier = Supplier(name="Papelaria Central", order_email="vendas@papelaria.com.br")
    db.session.add(supplier)
    db.session.flush()
    order = PurchaseOrder(supplier_id=supplier.id, requester_id=desk.id, status="sent")
    db.session.add(order)
    db.session.commit()
    deliver(f"Re: Pedido PO-{order.id:05d} confirmado", "Entrega na sexta.")
    deliver("Re: pedido PO-99999", "?")
    good, unknown = _fetch(mailbox)
    assert inbox.order_in_subject(good).id == order.id
    inbox.to_supplier_reply(good, actor=desk)
    db.session.commit()
    assert good.purchase_order_id == order.id and good.handled_as == "supplier_reply"
    with pytest.raises(ValidationError):
        inbox.to_supplier_reply(unknown, actor=desk)


def test_cv_attachment_taken_in_for_an_opening(app, mailbox, deliver, make_user):
    from portal.models.recruiting import CVFile, Opening

    hr = make_user(roles=["hr_manager"])
    opening = Opening(title="Recepcionista", status="open", hiring_manager_id=hr.id)
    db.session.add(opening)
    db.session.commit()
    deliver(
        "Currículo",
        "Segue meu CV.",
        attachments=[
            ("cv.pdf", "application/pdf", tiny_pdf("Maria CV")),
            ("foto.exe", "application/octet-stream", b"MZ\x90\x00"),
        ],
    )
    (msg,) = _fetch(mailbox)
    kept = {a.filename: a for a in msg.attachments}
    assert kept["cv.pdf"].data is not None and kept["cv.pdf"].refused is None
    assert kept["foto.exe"].data is None and kept["foto.exe"].refused == "type"
    batch = inbox.to_cv(msg, opening_id=opening.id, actor=hr)
    db.session.commit()
    files = list(db.session.scalars(select(CVFile).where(CVFile.batch == batch)))
    assert [f.original_name for f in files] == ["cv.pdf"]
    assert msg.handled_as == "cv" and msg.opening_id == opening.id


def test_hostile_pdf_attachment_is_not_kept(app, mailbox, deliver):
    from tests.documents import hostile_pdfs

    name, data, _code = hostile_pdfs()[0]
    deliver("Arquivo", "veja", attachments=[("arquivo.pdf", "application/pdf", data)])
    (msg,) = _fetch(mailbox)
    (att,) = msg.attachments
    assert att.data is None and att.refused


def test_reply_continues_the_thread(app, mailbox, deliver, desk, smtp_sink, run_jobs):
    box_id = mailbox.id  # run_jobs ends the session: keep ids, not objects
    original = deliver(
        "Dúvida sobre entrega",
        "Quando chega?",
        headers={"References": "<older@cliente.com.br>"},
    )
    (msg,) = _fetch(mailbox)
    inbox.reply(msg, body="Chega amanhã.", actor=desk)
    db.session.commit()
    run_jobs()
    (sent,) = smtp_sink.wait_for(1)
    assert sent["In-Reply-To"] == original
    assert sent["References"].split() == ["<older@cliente.com.br>", original]
    assert str(make_header(decode_header(sent["Subject"]))) == "Re: Dúvida sobre entrega"
    assert sent["X-Sink-Rcpts"] == "ana@cliente.com.br"
    # The customer answers, quoting us: same thread, quoted history not shown.
    deliver(
        "Re: Dúvida sobre entrega",
        "Obrigada!\n\nEm qua., 3 de dez. de 2026, Beatriz escreveu:\n> Chega amanhã.\n",
        headers={
            "In-Reply-To": sent["Message-ID"],
            "References": f"{original} {sent['Message-ID']}",
        },
    )
    _fetch(box_id)
    first, answer = db.session.scalars(select(InboxMessage).order_by(InboxMessage.id)).all()
    assert answer.shown_text == "Obrigada!"
    assert [m.id for m in inbox.thread_of(answer)] == [first.id, answer.id]


def test_auto_replies_and_bounces_are_recognised_and_never_answered(
    app, mailbox, deliver, desk, run_jobs
):
    deliver("Fora do escritório", "Volto dia 10.", headers={"Auto-Submitted": "auto-replied"})
    deliver("Aviso", "lista", headers={"Precedence": "bulk"})
    deliver(
        "Undelivered Mail",
        "falhou",
        sender="MAILER-DAEMON@mx.cliente.com.br",
        headers={"Return-Path": "<>"},
    )
    auto, bulk, bounce = _fetch(mailbox)
    run_jobs()
    auto, bulk, bounce = db.session.scalars(select(InboxMessage).order_by(InboxMessage.id)).all()
    desk = db.session.merge(desk)
    assert (auto.automatic, bulk.automatic, bounce.automatic) == (
        "auto_reply",
        "auto_reply",
        "bounce",
    )
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0
    with pytest.raises(InvalidTransition):
        inbox.reply(bounce, body="Olá", actor=desk)


def test_archive_and_back(app, mailbox, deliver, desk):
    deliver("Spam", "compre")
    (msg,) = _fetch(mailbox)
    inbox.archive(msg, actor=desk)
    db.session.commit()
    assert msg.status == "archived"
    assert (
        db.session.scalar(
            select(func.count()).select_from(inbox.list_messages(show="new").subquery())
        )
        == 0
    )
    inbox.unarchive(msg, actor=desk)
    assert msg.status == "new"
