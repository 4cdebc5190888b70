"""pyftpdlib launcher for the ftpkit benchmark.

Like `python -m pyftpdlib -w`, but with one named user with write permission, no connection limits
(max_cons = 0, max_cons_per_ip = 0) and the given timeout. Everything else is pyftpdlib's default:
the epoll IOLoop, sendfile(2) for RETR, 64 KiB ac_in_buffer_size for STOR, INFO logging to stderr.

usage: pyftpdlib_server.py HOST PORT DIRECTORY USER PASSWORD [TIMEOUT]
"""

import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


def main():
    host, port, directory, user, password = sys.argv[1:6]
    timeout = int(sys.argv[6]) if len(sys.argv) > 6 else 300
    logging.basicConfig(level=logging.INFO, format="[%(levelname)1.1s %(asctime)s] %(message)s")
    authorizer = DummyAuthorizer()
    authorizer.add_user(user, password, directory, perm="elradfmwMT")
    handler = FTPHandler
    handler.authorizer = authorizer
    handler.timeout = timeout or None
    server = FTPServer((host, int(port)), handler)
    server.max_cons = 0
    server.max_cons_per_ip = 0
    server.serve_forever()


if __name__ == "__main__":
    main()
