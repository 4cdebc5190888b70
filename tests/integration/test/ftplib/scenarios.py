"""Scenarios in which Python's ftplib (standard library only) drives a real ftpkit server.

Usage: python3 scenarios.py <port> <root> <scenario>

Prints one JSON document, {"steps": [[label, result], ...], "data": {...}}: each step is what was sent
(or the ftplib method called) and what came back, the reply text for errors (str() of ftplib's
error_reply / error_temp / error_perm / error_proto). `data` holds what was downloaded (hex, sha256,
lengths) and names the server chose. ftplib.test.ts starts the server, lays out files under <root>,
runs one scenario and asserts the transcript and the files on disk.
"""

import ftplib
import hashlib
import io
import json
import socket
import sys
import time

HOST = "127.0.0.1"
TIMEOUT = 10
FTP_ERRORS = (ftplib.error_reply, ftplib.error_temp, ftplib.error_perm, ftplib.error_proto)


def read_all(conn):
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def closed_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Run:
    def __init__(self, port, root):
        self.port = port
        self.root = root
        self.steps = []
        self.data = {}

    def connect(self):
        ftp = ftplib.FTP(timeout=TIMEOUT)
        ftp.connect(HOST, self.port)
        return ftp

    def login(self, user="user", passwd="12345"):
        ftp = self.connect()
        self.step(f"login {user}", lambda: ftp.login(user, passwd))
        return ftp

    def step(self, label, fn):
        """Runs fn, records its result (or the server's error reply) under label, returns it."""
        try:
            value = fn()
        except FTP_ERRORS as error:
            value = str(error)
        self.steps.append([label, value])
        return value

    def cmd(self, ftp, line):
        return self.step(line, lambda: ftp.sendcmd(line))

    def closed(self, ftp, label="connection closed"):
        """Records whether the server closed the control connection (EOF on the next read)."""

        def probe():
            try:
                ftp.sock.settimeout(TIMEOUT)
                rest = ftp.file.read()
            except ConnectionResetError:
                return True
            except TimeoutError:
                return False
            return rest == ""

        return self.step(label, probe)

    def open_data(self, ftp, how="PASV"):
        """PASV or EPSV (reply not recorded) and a connection to the announced port."""
        if how == "PASV":
            host, port = ftplib.parse227(ftp.sendcmd("PASV"))
        else:
            host, port = HOST, ftplib.parse229(ftp.sendcmd("EPSV"), ftp.sock.getpeername())[1]
        return socket.create_connection((host, port), TIMEOUT)

    def transfer(self, ftp, line, upload=None, connect_first=True, how="PASV"):
        """`line` over a fresh passive connection, recording its 1xx reply and its final reply.

        With connect_first the data connection exists before the command (125); without it the
        command is sent first (150) and the connection made after. Returns the bytes downloaded.
        """
        if connect_first:
            conn = self.open_data(ftp, how)
        else:
            host, port = ftplib.parse227(ftp.sendcmd("PASV"))
        first = self.cmd(ftp, line)
        if not connect_first:
            conn = socket.create_connection((host, port), TIMEOUT)
        data = None
        with conn:
            if not first.startswith("1"):
                return None
            if upload is not None:
                conn.sendall(upload)
            else:
                data = read_all(conn)
        self.step(f"{line} (end)", ftp.voidresp)
        return data

    def retr(self, ftp, cmd, rest=None, label=None):
        """ftplib's retrbinary; records its final reply; returns the bytes."""
        chunks = []
        self.step(label or cmd, lambda: ftp.retrbinary(cmd, chunks.append, rest=rest))
        return b"".join(chunks)

    def stor(self, ftp, cmd, data, rest=None, label=None):
        return self.step(label or cmd, lambda: ftp.storbinary(cmd, io.BytesIO(data), rest=rest))

    def lines(self, ftp, cmd, label=None):
        out = []
        self.step(label or cmd, lambda: ftp.retrlines(cmd, out.append))
        return out


# ---- scenarios ---------------------------------------------------------------------------------


def s_login(r):
    ftp = r.connect()
    r.step("welcome", ftp.getwelcome)
    r.cmd(ftp, "SYST")
    r.cmd(ftp, "NOOP")
    r.cmd(ftp, "STAT")
    r.cmd(ftp, "PWD")
    r.cmd(ftp, "STAT /")
    r.cmd(ftp, "PASS 12345")
    r.cmd(ftp, "USER")
    r.cmd(ftp, "USER user")
    r.cmd(ftp, "STAT")
    r.cmd(ftp, "PASS wrong")
    r.cmd(ftp, "PWD")
    r.cmd(ftp, "PASS 12345")
    r.cmd(ftp, "USER nobody")
    r.cmd(ftp, "PASS 12345")
    r.step("login('user', '12345')", lambda: ftp.login("user", "12345"))
    r.cmd(ftp, "STAT")
    r.cmd(ftp, "PASS 12345")
    r.cmd(ftp, "USER user")
    r.cmd(ftp, "PWD")
    r.cmd(ftp, "PASS 12345")
    r.cmd(ftp, "PWD")
    r.cmd(ftp, "REIN")
    r.cmd(ftp, "PWD")
    r.cmd(ftp, "REIN")
    r.step("login()", ftp.login)
    r.step("pwd()", ftp.pwd)
    r.cmd(ftp, "USER anonymous")
    r.cmd(ftp, "PASS any password at all")
    r.cmd(ftp, "USER ANONYMOUS")
    r.cmd(ftp, "PASS")
    r.cmd(ftp, "USER anonymous")
    r.cmd(ftp, "PASS")
    r.step("quit()", ftp.quit)
    fresh = r.connect()
    r.step("quit() before login", fresh.quit)


def s_max_login(r):
    ftp = r.connect()
    for attempt in range(3):
        r.cmd(ftp, "USER user")
        r.cmd(ftp, f"PASS wrong{attempt}")
    r.closed(ftp)


def s_idle_timeout(r):
    ftp = r.login()
    for _ in range(3):
        time.sleep(0.2)
        r.cmd(ftp, "NOOP")
    time.sleep(1.0)
    r.step("(idle)", ftp.getresp)
    r.closed(ftp)


def s_settings(r):
    ftp = r.connect()
    r.cmd(ftp, "FEAT")
    r.cmd(ftp, "HELP")
    r.cmd(ftp, "HELP cwd")
    r.cmd(ftp, "HELP SITE CHMOD")
    r.cmd(ftp, "HELP FOO")
    r.cmd(ftp, "SITE HELP")
    r.cmd(ftp, "SITE HELP CHMOD")
    r.cmd(ftp, "SITE HELP FOO")
    r.cmd(ftp, "SITE FOO")
    r.cmd(ftp, "SITE")
    r.cmd(ftp, "TYPE I")
    r.cmd(ftp, "OPTS UTF8 ON")
    r.step("login('user', '12345')", lambda: ftp.login("user", "12345"))
    r.cmd(ftp, "TYPE I")
    r.cmd(ftp, "TYPE A")
    r.cmd(ftp, "TYPE L8")
    r.cmd(ftp, "TYPE L 7")
    r.cmd(ftp, "TYPE i")
    r.cmd(ftp, "TYPE E")
    r.cmd(ftp, "TYPE A N")
    r.cmd(ftp, "TYPE")
    r.cmd(ftp, "MODE S")
    r.cmd(ftp, "MODE B")
    r.cmd(ftp, "MODE C")
    r.cmd(ftp, "MODE Z")
    r.cmd(ftp, "STRU F")
    r.cmd(ftp, "STRU P")
    r.cmd(ftp, "STRU R")
    r.cmd(ftp, "STRU Z")
    r.cmd(ftp, "TYPE A")
    r.cmd(ftp, "REST 10")
    r.cmd(ftp, "TYPE I")
    r.cmd(ftp, "REST 10")
    r.cmd(ftp, "REST 0")
    r.cmd(ftp, "REST -1")
    r.cmd(ftp, "REST 10.1")
    r.cmd(ftp, "REST abc")
    r.cmd(ftp, "REST")
    r.cmd(ftp, "ALLO 1000")
    r.cmd(ftp, "ALLO")
    r.cmd(ftp, "OPTS UTF8 ON")
    r.cmd(ftp, "OPTS utf-8")
    r.cmd(ftp, "OPTS MLST type")
    r.cmd(ftp, "OPTS FOO")
    r.cmd(ftp, "OPTS a b c")
    r.cmd(ftp, "OPTS")
    r.cmd(ftp, "OPTS MLST unix.mode;unix.uid;unix.gid;unique;bogus;")
    r.cmd(ftp, "FEAT")
    r.cmd(ftp, "OPTS MLST")
    r.cmd(ftp, "FEAT x")
    r.cmd(ftp, "FOO")
    r.step("quit()", ftp.quit)


def s_navigation(r):
    ftp = r.login()
    r.cmd(ftp, "PWD")
    r.cmd(ftp, "XPWD")
    r.cmd(ftp, "PWD x")
    r.step("cwd('sub')", lambda: ftp.cwd("sub"))
    r.cmd(ftp, "XCWD inner")
    r.step("pwd()", ftp.pwd)
    r.cmd(ftp, "CDUP")
    r.step("cwd('..')", lambda: ftp.cwd(".."))
    r.cmd(ftp, "CDUP")
    r.cmd(ftp, "XCUP")
    r.cmd(ftp, "CDUP x")
    r.cmd(ftp, "CWD sub/inner")
    r.cmd(ftp, "CWD")
    r.cmd(ftp, "XCWD /sub")
    r.cmd(ftp, "CWD ../../../..")
    r.cmd(ftp, "CWD missing")
    r.cmd(ftp, "CWD file.txt")
    r.cmd(ftp, "XCWD /missing/deeper")
    r.step("mkd('newdir')", lambda: ftp.mkd("newdir"))
    r.cmd(ftp, 'MKD x"y')
    r.step("mkd('q\"q')", lambda: ftp.mkd('q"q'))
    r.cmd(ftp, "XMKD /sub/made")
    r.cmd(ftp, "MKD newdir")
    r.cmd(ftp, "MKD missing/child")
    r.cmd(ftp, "MKD file.txt")
    r.cmd(ftp, "MKD")
    r.cmd(ftp, 'CWD x"y')
    r.cmd(ftp, "PWD")
    r.step("pwd()", ftp.pwd)
    r.cmd(ftp, "CWD /")
    r.step("rmd('newdir')", lambda: ftp.rmd("newdir"))
    r.cmd(ftp, 'XRMD x"y')
    r.cmd(ftp, "RMD /")
    r.cmd(ftp, "XRMD ../..")
    r.cmd(ftp, "RMD sub")
    r.cmd(ftp, "RMD file.txt")
    r.cmd(ftp, "RMD missing")
    r.cmd(ftp, "RMD")
    r.step("delete('gone.txt')", lambda: ftp.delete("gone.txt"))
    r.cmd(ftp, "DELE gone.txt")
    r.cmd(ftp, "DELE sub")
    r.cmd(ftp, "DELE")
    r.step("rename('a.txt', 'b.txt')", lambda: ftp.rename("a.txt", "b.txt"))
    r.cmd(ftp, "RNTO c.txt")
    r.cmd(ftp, "RNFR missing")
    r.cmd(ftp, "RNTO c.txt")
    r.cmd(ftp, "RNFR /")
    r.cmd(ftp, "RNFR b.txt")
    r.cmd(ftp, "RNTO missing/c.txt")
    r.cmd(ftp, "RNTO c.txt")
    r.cmd(ftp, "RNFR sub")
    r.cmd(ftp, "NOOP")
    r.cmd(ftp, "RNTO renamed")
    r.cmd(ftp, "RNFR")
    r.step("quit()", ftp.quit)


def s_files(r):
    ftp = r.login()
    r.cmd(ftp, "SIZE data.bin")
    r.cmd(ftp, "TYPE I")
    r.step("size('data.bin')", lambda: ftp.size("data.bin"))
    r.cmd(ftp, "SIZE /sub/inner.txt")
    r.cmd(ftp, "SIZE sub")
    r.cmd(ftp, "SIZE missing")
    r.cmd(ftp, "SIZE")
    r.cmd(ftp, "MDTM data.bin")
    r.cmd(ftp, "MDTM sub")
    r.cmd(ftp, "MDTM missing")
    r.cmd(ftp, "MDTM")
    r.cmd(ftp, "MFMT 20210304050607 data.bin")
    r.cmd(ftp, "MDTM data.bin")
    r.cmd(ftp, "MFMT 2021 data.bin")
    r.cmd(ftp, "MFMT 2021030405060x data.bin")
    r.cmd(ftp, "MFMT 20210304050607")
    r.cmd(ftp, "MFMT 20210304050607 missing")
    r.cmd(ftp, "MFMT 20210304050607 sub")
    r.cmd(ftp, "MFMT")
    r.cmd(ftp, "SITE CHMOD 640 data.bin")
    r.cmd(ftp, "site chmod 0750 sub")
    r.cmd(ftp, "SITE CHMOD 9z data.bin")
    r.cmd(ftp, "SITE CHMOD 77777 data.bin")
    r.cmd(ftp, "SITE CHMOD 755")
    r.cmd(ftp, "SITE CHMOD 644 missing")
    r.cmd(ftp, "SITE CHMOD")
    r.cmd(ftp, "MLST data.bin")
    r.cmd(ftp, "MLST")
    r.cmd(ftp, "MLST /sub")
    r.cmd(ftp, "MLST missing")
    r.cmd(ftp, "OPTS MLST type;size;")
    r.cmd(ftp, "MLST data.bin")
    r.cmd(ftp, "OPTS MLST")
    r.cmd(ftp, "MLST data.bin")
    r.cmd(ftp, "STAT data.bin")
    r.cmd(ftp, "STAT sub")
    r.cmd(ftp, "STAT *.bin")
    r.cmd(ftp, "STAT dat?.bin")
    r.cmd(ftp, "STAT missing")
    r.step("quit()", ftp.quit)


def s_listings(r):
    ftp = r.login()
    r.step("nlst()", ftp.nlst)
    r.step("nlst('sub')", lambda: ftp.nlst("sub"))
    r.step("nlst('file.txt')", lambda: ftp.nlst("file.txt"))
    r.step("nlst('empty')", lambda: ftp.nlst("empty"))
    r.step("nlst('missing')", lambda: ftp.nlst("missing"))
    listing = []
    r.step("dir()", lambda: ftp.dir(listing.append))
    r.data["dir"] = listing
    r.data["LIST -la"] = r.lines(ftp, "LIST -la")
    r.data["LIST -a"] = r.lines(ftp, "LIST -a")
    r.data["LIST file.txt"] = r.lines(ftp, "LIST file.txt")
    r.data["LIST sub"] = r.lines(ftp, "LIST sub")
    r.data["LIST empty"] = r.lines(ftp, "LIST empty")
    r.lines(ftp, "LIST missing")
    r.data["mlsd"] = r.step("mlsd()", lambda: [list(entry) for entry in ftp.mlsd()])
    r.data["mlsd sub"] = r.step("mlsd('sub')", lambda: [list(entry) for entry in ftp.mlsd("sub")])
    r.step("mlsd('file.txt')", lambda: list(ftp.mlsd("file.txt")))
    r.step("mlsd('missing')", lambda: list(ftp.mlsd("missing")))
    r.data["mlsd facts"] = r.step(
        "mlsd('sub', facts=['type', 'unix.mode'])",
        lambda: [list(entry) for entry in ftp.mlsd("sub", facts=["type", "unix.mode"])],
    )
    r.step("cwd('sub')", lambda: ftp.cwd("sub"))
    r.step("nlst() in /sub", ftp.nlst)
    r.data["LIST in /sub"] = r.lines(ftp, "LIST")
    r.step("set_pasv(False)", lambda: ftp.set_pasv(False))
    r.step("nlst('/') active", lambda: ftp.nlst("/"))
    r.data["LIST / active"] = r.lines(ftp, "LIST /", "LIST / active")
    r.step("quit()", ftp.quit)


def s_transfers(r):
    ftp = r.login()
    r.cmd(ftp, "TYPE I")
    r.cmd(ftp, "RETR data.bin")
    r.cmd(ftp, "STOR never.bin")
    r.cmd(ftp, "LIST")
    r.data["full"] = sha256(r.retr(ftp, "RETR data.bin"))
    r.data["rest 600"] = r.retr(ftp, "RETR data.bin", rest=600, label="RETR data.bin rest=600").hex()
    r.data["rest 1000"] = r.retr(ftp, "RETR data.bin", rest=1000, label="RETR data.bin rest=1000").hex()
    r.retr(ftp, "RETR data.bin", rest=1001, label="RETR data.bin rest=1001")
    r.data["after 554"] = sha256(r.retr(ftp, "RETR data.bin", label="RETR data.bin after 554"))
    r.retr(ftp, "RETR missing")
    r.retr(ftp, "RETR sub")
    r.stor(ftp, "STOR part.bin", b"BB", rest=4, label="STOR part.bin rest=4")
    r.stor(ftp, "STOR part.bin", b"Z", rest=99, label="STOR part.bin rest=99")
    r.stor(ftp, "STOR nofile.bin", b"Z", rest=5, label="STOR nofile.bin rest=5")
    r.stor(ftp, "STOR new.bin", b"hello world")
    r.stor(ftp, "STOR new.bin", b"hi", label="STOR new.bin again")
    r.stor(ftp, "APPE new.bin", b" there")
    r.stor(ftp, "APPE fresh.txt", b"fresh")
    r.stor(ftp, "APPE new.bin", b"!", rest=3, label="APPE new.bin rest=3")
    r.transfer(ftp, "STOU")
    r.cmd(ftp, "REST 0")
    r.transfer(ftp, "STOU", upload=b"unique 1", connect_first=False)
    r.transfer(ftp, "STOU myname", upload=b"unique 2")
    r.transfer(ftp, "STOU sub/pre", upload=b"unique 3")
    r.stor(ftp, "STOU", b"unique 4", label="storbinary STOU")
    r.stor(ftp, "STOR nodir/x.bin", b"x")
    r.stor(ftp, "STOR sub", b"x")
    r.stor(ftp, "STOR", b"x")
    r.transfer(ftp, "STOU nodir/x")
    r.step("quit()", ftp.quit)


def s_ascii(r):
    ftp = r.login()
    r.data["retrlines"] = r.lines(ftp, "RETR unix.txt")
    r.cmd(ftp, "TYPE A")
    r.data["ascii bytes"] = r.transfer(ftp, "RETR unix.txt").hex()
    r.data["binary bytes"] = r.retr(ftp, "RETR unix.txt").hex()
    r.step(
        "storlines('STOR lines.txt')",
        lambda: ftp.storlines("STOR lines.txt", io.BytesIO(b"alpha\nbeta\r\ngamma")),
    )
    r.data["lines back"] = r.lines(ftp, "RETR lines.txt")
    r.cmd(ftp, "TYPE A")
    r.transfer(ftp, "STOR raw.txt", upload=b"x\r\ny\rz\r\n\r\nend\r")
    r.cmd(ftp, "TYPE A")
    r.transfer(ftp, "APPE raw.txt", upload=b"\r\nmore\r\n")
    r.cmd(ftp, "TYPE A")
    r.transfer(ftp, "STOU", upload=b"u1\r\nu2\r\n")
    r.step("quit()", ftp.quit)


def s_round_trip(r, active):
    ftp = r.login()
    if active:
        with socket.create_server((HOST, 0)) as listener:
            port = listener.getsockname()[1]
            r.step("sendport", lambda: ftp.sendport(HOST, port))
            r.cmd(ftp, "TYPE I")
            r.cmd(ftp, "RETR big.bin")
            conn, _ = listener.accept()
            with conn:
                r.data["sendport sha256"] = sha256(read_all(conn))
            r.step("RETR big.bin (end)", ftp.voidresp)
        with socket.create_server((HOST, 0)) as listener:
            port = listener.getsockname()[1]
            r.step("sendeprt", lambda: ftp.sendeprt(HOST, port))
            r.cmd(ftp, "NLST")
            conn, _ = listener.accept()
            with conn:
                r.data["sendeprt nlst"] = read_all(conn).decode()
            r.step("NLST (end)", ftp.voidresp)
        ftp.set_pasv(False)
    data = r.retr(ftp, "RETR big.bin")
    r.data["length"] = len(data)
    r.data["sha256"] = sha256(data)
    r.stor(ftp, "STOR back.bin", data)
    r.step("size('back.bin')", lambda: ftp.size("back.bin"))
    r.data["tail"] = sha256(r.retr(ftp, "RETR back.bin", rest=4 * 1024 * 1024, label="RETR back.bin rest"))
    r.stor(ftp, "STOR back.bin", data[3 * 1024 * 1024 :], rest=3 * 1024 * 1024, label="STOR back.bin rest")
    r.step("quit()", ftp.quit)


def s_data_setup(r):
    ftp = r.login()
    free = closed_port()
    r.data["closed port"] = free
    r.cmd(ftp, "PASV")
    r.cmd(ftp, "STAT")
    r.cmd(ftp, "ABOR")
    r.cmd(ftp, "ABOR")
    r.cmd(ftp, "STAT")
    r.cmd(ftp, "PASV x")
    r.cmd(ftp, "EPSV")
    r.cmd(ftp, "EPSV 1")
    r.cmd(ftp, "EPSV 2")
    r.cmd(ftp, "EPSV 3")
    r.cmd(ftp, "PORT 1,2,3")
    r.cmd(ftp, "PORT 127,0,0,1,256,1")
    r.cmd(ftp, "PORT 127,0,0,1,a,b")
    r.cmd(ftp, "PORT 300,0,0,1,20,0")
    r.cmd(ftp, "PORT")
    r.cmd(ftp, "PORT 127,0,0,2,20,0")
    r.cmd(ftp, "PORT 127,0,0,1,0,80")
    r.cmd(ftp, f"PORT 127,0,0,1,{free // 256},{free % 256}")
    r.cmd(ftp, "RETR file.txt")
    r.cmd(ftp, "EPRT |1|127.0.0.2|5120|")
    r.cmd(ftp, "EPRT |1|127.0.0.1|80|")
    r.cmd(ftp, "EPRT |2|::1|5120|")
    r.cmd(ftp, "EPRT |3|127.0.0.1|5120|")
    r.cmd(ftp, "EPRT |1|127.0.0.1|")
    r.cmd(ftp, "EPRT |1|300.0.0.1|5120|")
    r.cmd(ftp, "EPRT |1|127.0.0.1|99999|")
    r.cmd(ftp, "EPRT")
    r.cmd(ftp, f"EPRT x1x127.0.0.1x{free}x")
    with socket.create_server((HOST, 0)) as listener:
        r.cmd(ftp, f"EPRT !1!127.0.0.1!{listener.getsockname()[1]}!")
        r.cmd(ftp, "STAT")
        r.cmd(ftp, "ABOR")
    r.data["PASV then NLST"] = r.transfer(ftp, "NLST", connect_first=False).decode()
    r.cmd(ftp, "EPSV ALL")
    r.cmd(ftp, "PASV")
    r.cmd(ftp, "PORT 127,0,0,1,20,0")
    r.cmd(ftp, "EPRT |1|127.0.0.1|5120|")
    r.data["EPSV ALL then NLST"] = r.transfer(ftp, "NLST", how="EPSV").decode()
    r.step("quit()", ftp.quit)


def big_transfer(r, ftp):
    """PASV, connect, RETR big.bin, read a little: the transfer is now moving bytes."""
    conn = r.open_data(ftp)
    r.cmd(ftp, "RETR big.bin")
    got = 0
    while got < 65536:
        got += len(conn.recv(65536))
    return conn


def s_abort(r):
    ftp = r.login()
    r.cmd(ftp, "TYPE I")
    r.cmd(ftp, "ABOR")
    conn = big_transfer(r, ftp)
    # Plain ABOR on the control connection (ftplib's putcmd); ftplib's abort() is s_abort_oob.
    r.step("putcmd('ABOR')", lambda: ftp.putcmd("ABOR"))
    r.step("getresp()", ftp.getresp)
    r.step("getresp()", ftp.getresp)
    conn.close()
    r.cmd(ftp, "NOOP")
    r.cmd(ftp, "ABOR")
    # A transfer command queued behind a PASV listener nobody connected to yet.
    r.cmd(ftp, "PASV")
    r.cmd(ftp, "RETR big.bin")
    r.step("putcmd('ABOR')", lambda: ftp.putcmd("ABOR"))
    r.step("getresp()", ftp.getresp)
    r.step("getresp()", ftp.getresp)
    # A connected data channel with no transfer on it.
    with r.open_data(ftp):
        r.cmd(ftp, "ABOR")
    r.data["after"] = sha256(r.retr(ftp, "RETR file.txt"))
    r.step("quit()", ftp.quit)


def s_abort_oob(r):
    ftp = r.login()
    r.cmd(ftp, "TYPE I")
    conn = big_transfer(r, ftp)
    r.step("abort()", ftp.abort)
    r.step("getresp()", ftp.getresp)
    conn.close()
    r.step("abort()", ftp.abort)
    r.cmd(ftp, "NOOP")
    r.step("quit()", ftp.quit)


def s_anonymous(r):
    ftp = r.connect()
    r.step("login()", ftp.login)
    r.stor(ftp, "STOR new.txt", b"x")
    r.stor(ftp, "APPE file.txt", b"x")
    r.stor(ftp, "STOU", b"x", label="storbinary STOU")
    r.cmd(ftp, "MKD d")
    r.cmd(ftp, "XMKD d")
    r.cmd(ftp, "RMD sub")
    r.cmd(ftp, "XRMD sub")
    r.cmd(ftp, "DELE file.txt")
    r.cmd(ftp, "RNFR file.txt")
    r.cmd(ftp, "RNTO other.txt")
    r.cmd(ftp, "SITE CHMOD 777 file.txt")
    r.cmd(ftp, "MFMT 20200101000000 file.txt")
    r.step("cwd('sub')", lambda: ftp.cwd("sub"))
    r.cmd(ftp, "CDUP")
    r.step("nlst()", ftp.nlst)
    r.data["file"] = r.retr(ftp, "RETR file.txt").decode()
    r.step("size('file.txt')", lambda: ftp.size("file.txt"))
    r.cmd(ftp, "MDTM file.txt")
    r.data["mlsd"] = r.step("mlsd()", lambda: [list(entry) for entry in ftp.mlsd(facts=["type", "perm"])])
    r.cmd(ftp, "SITE HELP")
    r.step("quit()", ftp.quit)


def s_symlinks(r):
    ftp = r.login()
    r.cmd(ftp, "TYPE I")
    r.cmd(ftp, "CWD escape")
    r.cmd(ftp, "CWD escape/..")
    r.step("cwd('inlink')", lambda: ftp.cwd("inlink"))
    r.cmd(ftp, "PWD")
    r.cmd(ftp, "CWD /")
    r.retr(ftp, "RETR escape.txt")
    r.retr(ftp, "RETR escape/secret.txt")
    r.cmd(ftp, "SIZE escape.txt")
    r.cmd(ftp, "MDTM escape.txt")
    r.step("nlst('escape')", lambda: ftp.nlst("escape"))
    r.lines(ftp, "LIST escape")
    r.step("mlsd('escape')", lambda: list(ftp.mlsd("escape")))
    r.cmd(ftp, "MLST escape/secret.txt")
    r.cmd(ftp, "STAT escape")
    r.stor(ftp, "STOR escape/pwn", b"pwned")
    r.stor(ftp, "APPE escape.txt", b"pwned")
    r.transfer(ftp, "STOU escape/pwn", upload=b"pwned")
    r.cmd(ftp, "MKD escape/d")
    r.cmd(ftp, "RMD escape")
    r.cmd(ftp, "DELE escape.txt")
    r.cmd(ftp, "RNFR escape.txt")
    r.cmd(ftp, "RNFR file.txt")
    r.cmd(ftp, "RNTO escape/moved.txt")
    r.cmd(ftp, "SITE CHMOD 777 escape.txt")
    r.cmd(ftp, "MFMT 20200101000000 escape.txt")
    r.step("nlst()", ftp.nlst)
    listing = []
    r.step("dir()", lambda: ftp.dir(listing.append))
    r.data["dir"] = listing
    r.data["inside"] = r.retr(ftp, "RETR inlink/inner.txt").decode()
    r.step("quit()", ftp.quit)


SCENARIOS = {
    "login": s_login,
    "max-login": s_max_login,
    "idle-timeout": s_idle_timeout,
    "settings": s_settings,
    "navigation": s_navigation,
    "files": s_files,
    "listings": s_listings,
    "transfers": s_transfers,
    "ascii": s_ascii,
    "round-trip-passive": lambda r: s_round_trip(r, active=False),
    "round-trip-active": lambda r: s_round_trip(r, active=True),
    "data-setup": s_data_setup,
    "abort": s_abort,
    "abort-oob": s_abort_oob,
    "anonymous": s_anonymous,
    "symlinks": s_symlinks,
}


def main():
    port, root, name = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    run = Run(port, root)
    SCENARIOS[name](run)
    json.dump({"steps": run.steps, "data": run.data}, sys.stdout)


if __name__ == "__main__":
    main()
