"""The test and bench SMTP sink: aiosmtpd with PIPELINING said and a cheaper address parse."""

import smtplib
import socket

import pytest
from aiosmtpd.smtp import SMTP

from crm_project.smtp_sink import Sink, SinkHandler, SinkSMTP

ADDRESSES = [
    "<bench-in-1@example.com>",
    "<a@b.c> SIZE=1445",
    " <a.b+c@x-y.example.com>  BODY=8BITMIME SIZE=10",
    "<a@b.c>\tSIZE=1 ",
    "<a@b.c> (a comment) SIZE=1",
    "<a@b.c>SIZE=1",
    '<"quoted local"@example.com>',
    "<a..b@example.com>",
    "<.a@example.com>",
    "<a@[127.0.0.1]>",
    "<>",
    "<a@b.c",
    "a@b.c SIZE=1",
    "<user@dömain.example>",
    "<@relay.example:a@b.c>",
]


@pytest.mark.parametrize("arg", ADDRESSES)
def test_the_sink_reads_an_address_as_aiosmtpd_does(arg):
    server = SinkSMTP(SinkHandler())
    assert server._getaddr(arg) == SMTP._getaddr(server, arg)


def test_the_sink_keeps_aiosmtpds_local_part_limit():
    server = SinkSMTP(SinkHandler())
    server.local_part_limit = 3
    assert server._getaddr("<abcd@example.com>") == (None, None) == SMTP._getaddr(server, "<abcd@example.com>")


def test_the_sink_says_pipelining_and_answers_pipelined_commands_in_order():
    with Sink() as sink, socket.create_connection(("127.0.0.1", sink.port), timeout=5) as client:
        replies = client.makefile("rb")
        assert replies.readline().startswith(b"220")
        client.sendall(b"EHLO client.example\r\n")
        ehlo = []
        while not (line := replies.readline()).startswith(b"250 "):
            ehlo.append(line)
        assert b"250-PIPELINING\r\n" in ehlo
        client.sendall(b"MAIL FROM:<from@example.com>\r\nRCPT TO:<to@example.com>\r\nDATA\r\n")
        # One write for the three replies (RFC 2920 3.2), so the first read has them all.
        assert [line[:3] for line in client.recv(4096).splitlines()] == [b"250", b"250", b"354"]
        client.sendall(b"Message-ID: <m1@example.com>\r\n\r\nHello\r\n.\r\nRSET\r\nNOOP\r\n")
        assert [line[:3] for line in client.recv(4096).splitlines()] == [b"250", b"250", b"250"]
    assert [(r.mail_from, r.recipients, r.message_id) for r in sink.received] == [
        ("from@example.com", ("to@example.com",), "<m1@example.com>")
    ]


def test_a_sink_without_pipelining_does_not_say_it():
    with Sink(SinkHandler(pipelining=False)) as sink:
        client = smtplib.SMTP("127.0.0.1", sink.port, timeout=5)
        client.ehlo()
        assert not client.has_extn("pipelining") and client.has_extn("8bitmime")
        client.sendmail("from@example.com", ["to@example.com"], b"Subject: hi\r\n\r\nHello\r\n")
        client.quit()
    assert sink.addresses() == ["to@example.com"]
