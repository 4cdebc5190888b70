"""Raw loopback peers for the ftpkit benchmark's physical limits (no FTP).

  rawpeer.py send FILE         listen on 127.0.0.1:0, print the port, accept one connection,
                               socket.sendfile() FILE, close
  rawpeer.py recv [DEST]       listen, print the port, accept one connection, recv_into a 1 MiB
                               buffer until EOF (writing each chunk to DEST when given), then close
  rawpeer.py pysend PORT FILE  connect to 127.0.0.1:PORT, sendfile FILE, shut down writing, wait for
                               the peer to close, print the seconds taken
"""

import socket
import sys
import time

MIB = 1024 * 1024


def listener():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    print(srv.getsockname()[1], flush=True)
    conn, _ = srv.accept()
    srv.close()
    return conn


def send(path):
    conn = listener()
    with open(path, "rb") as f:
        conn.sendfile(f)
    conn.close()


def recv(dest):
    conn = listener()
    buf = bytearray(MIB)
    view = memoryview(buf)
    out = open(dest, "wb") if dest else None
    total = 0
    while True:
        n = conn.recv_into(buf)
        if n == 0:
            break
        total += n
        if out is not None:
            out.write(view[:n])
    if out is not None:
        out.close()
    conn.close()
    print(total, flush=True)


def pysend(port, path):
    start = time.perf_counter()
    conn = socket.create_connection(("127.0.0.1", int(port)))
    with open(path, "rb") as f:
        conn.sendfile(f)
    conn.shutdown(socket.SHUT_WR)
    while conn.recv(65536):
        pass
    conn.close()
    print(time.perf_counter() - start, flush=True)


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "send":
        send(sys.argv[2])
    elif mode == "recv":
        recv(sys.argv[2] if len(sys.argv) > 2 else None)
    elif mode == "pysend":
        pysend(sys.argv[2], sys.argv[3])
    else:
        sys.exit("unknown mode " + mode)
