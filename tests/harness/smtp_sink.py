#!/ usr / bin / env python3
"""A local SMTP server for the messaging tests (aiosmtpd).

Writes every accepted message to <dir>/<n>.eml (the DATA as received),
<dir>/<n>.rcpt (the envelope recipients, one per line) and <dir>/<n>.peer
(the client's address and port: one per connection); the port it listens
on goes to <dir>/port once it accepts connections.

--temporary-failures N answers the first N DATA commands with 451 (try
later); recipients at rejected.example get 550 (no such user) at RCPT.
Stops when its standard input closes, so it never outlives the test.
"""
import argparse
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, temporary_failures):
        self.directory = directory
        self.temporary_failures = temporary_failures
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@rejected.example"):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.temporary_failures > 0:
            self.temporary_failures -= 1
            return "451 4.3.0 try again later"
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        with open(base + ".rcpt.tmp", "w") as recipients:
            recipients.write("\n".join(envelope.rcpt_tos) + "\n")
        with open(base + ".peer", "w") as peer:
            peer.write("%s:%d" % session.peer[:2])
        os.rename(base + ".rcpt.tmp", base + ".rcpt")
        with open(base + ".eml.tmp", "wb") as message:
            message.write(envelope.original_content)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 queued as %d" % self.count


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("directory")
    parser.add_argument("--temporary-failures", type=int, default=0)
    arguments = parser.parse_args()
    port = free_port()
    controller = Controller(Sink(arguments.directory, arguments.temporary_failures),
                            hostname="127.0.0.1", port=port)
    controller.start()
    with open(os.path.join(arguments.directory, "port.tmp"), "w") as port_file:
        port_file.write(str(port))
    os.rename(os.path.join(arguments.directory, "port.tmp"),
              os.path.join(arguments.directory, "port"))
    sys.stdin.read()  # until the test closes our stdin (or dies)
    controller.stop()


if __name__ == "__main__":
    main()
