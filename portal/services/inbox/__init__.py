"""Shared inbox: mailboxes over IMAP (``mailboxes``), the exactly-once fetch (``fetching``),
reading one e-mail (``parsing``), storing a fetched batch (``storing``), passwords kept
encrypted (``crypto``) and what back office does with a message (``actions``)."""

from __future__ import annotations

from portal.services.inbox.actions import (
    archive,
    attachment_counts,
    get_message_or_404,
    list_messages,
    new_count,
    openings_for_cv,
    order_in_subject,
    replies_of,
    reply,
    sender_account,
    thread_of,
    to_cv,
    to_staff_message,
    to_staff_request,
    to_supplier_reply,
    unarchive,
)
from portal.services.inbox.fetching import (
    FetchError,
    backoff,
    claim,
    due_mailbox_ids,
    fetch_mailbox,
)
from portal.services.inbox.mailboxes import (
    FETCH_JOB,
    fetch_soon,
    get_mailbox_or_404,
    list_mailboxes,
    save_mailbox,
    set_active,
)
from portal.services.inbox.storing import store_message

__all__ = [
    "FETCH_JOB",
    "fetch_soon",
    "new_count",
    "openings_for_cv",
    "FetchError",
    "archive",
    "attachment_counts",
    "backoff",
    "claim",
    "due_mailbox_ids",
    "fetch_mailbox",
    "get_mailbox_or_404",
    "get_message_or_404",
    "list_mailboxes",
    "list_messages",
    "order_in_subject",
    "replies_of",
    "reply",
    "save_mailbox",
    "sender_account",
    "set_active",
    "store_message",
    "thread_of",
    "to_cv",
    "to_staff_message",
    "to_staff_request",
    "to_supplier_reply",
    "unarchive",
]
