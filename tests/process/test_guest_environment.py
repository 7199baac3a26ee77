"""The sandbox real programs need (issue 8, items 6-8): the user's working directory,
denied paths reported, a private size-capped /tmp, /dev/full, a default environment,
and stdin streamed from a pipe (a terminal only when asked).

The real-program check runs programs/ordinary.c under cyclesim's command line and under
qemu-riscv64 with the same environment and the same piped stdin: the outputs must agree.
"""
import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_support import build, run_qemu

import cyclesim
from cyclesim.process.kernel import DEFAULT_ENV

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd=None, **kw):
    kw.setdefault("env", dict(os.environ, PYTHONPATH=str(ROOT)))
    kw.setdefault("stdin", subprocess.DEVNULL)
    return subprocess.run([sys.executable, "-m", "cyclesim", *map(str, args)], cwd=cwd,
                          capture_output=True, timeout=300, **kw)


@pytest.fixture(scope="module")
def ordinary():
    return build("ordinary.c", name="ordinary")


STDIN = b"".join(b"line %d of the piped input\n" % i for i in range(5000))   # ~130 KB


def test_ordinary_program_matches_qemu(ordinary, tmp_path):
    # qemu-riscv64 with cyclesim's default environment and the same stdin and cwd
    code, ref, _ = run_qemu(ordinary, ["-d", "x"], env=DEFAULT_ENV, stdin=STDIN, cwd=tmp_path)
    assert code == 0
    assert b"env PATH=/usr/local/bin:/usr/bin:/bin\n" in ref
    assert b"mkstemp: wrote 13 read 13: scratch data\n" in ref
    assert b"tmpfile: anonymous\n" in ref
    assert b"/dev/full fflush -1: No space left on device\n" in ref
    assert b"/dev/full read 8: 00 00 00\n" in ref
    assert b"stdin %d bytes 5000 lines" % len(STDIN) in ref
    # the command line, stdin piped in as a shell would
    ours = cli("run", "--mode", "functional", ordinary, "-d", "x", input=STDIN, stdin=None,
               cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    assert ours.stdout == ref
    assert b"Traceback" not in ours.stderr and b"warning" not in ours.stderr
    # the timing model runs the same program to the same output
    timed = cyclesim.run(ordinary, "-d", "x", stdin=STDIN, cwd=tmp_path)
    assert timed.status == "exited" and timed.stdout_bytes == ref
    assert timed.denied_paths["count"] == 0
    # the guest's temporary files went with the run
    assert not list(tmp_path.iterdir())


def test_runs_are_reproducible(ordinary, tmp_path):
    # same environment, same /tmp path names (the guest sees /tmp, whatever the host
    # directory behind it), same stdin: the same instruction count every time
    runs = [cyclesim.run(ordinary, mode="functional", stdin=STDIN, cwd=tmp_path)
            for _ in range(2)]
    assert runs[0].instructions == runs[1].instructions
    assert runs[0].stdout_bytes == runs[1].stdout_bytes
    assert all(r.tmp_dir is None for r in runs)          # removed after the run


TMP_WRITER = r"""
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(void) {
    static char block[65536];
    int fd = open("/tmp/big", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { printf("open: %s\n", strerror(errno)); return 1; }
    long total = 0; ssize_t n;
    while ((n = write(fd, block, sizeof block)) > 0) total += n;
    printf("wrote %ld then %s\n", total, n < 0 ? strerror(errno) : "0");
    close(fd);
    printf("unlink %d\n", unlink("/tmp/big"));
    fd = open("/tmp/again", O_WRONLY | O_CREAT, 0600);
    printf("after unlink %zd\n", write(fd, block, sizeof block));
    return 0;
}
"""


def test_private_tmp_is_capped_and_kept_on_request(tmp_path):
    elf = build(TMP_WRITER, name="tmpwriter")
    r = cyclesim.run(elf, mode="functional", tmp_size="1MiB", cwd=tmp_path)
    # a full tmpfs: what fits is written, then ENOSPC; unlinking frees the space
    assert r.stdout.splitlines() == [f"wrote {1 << 20} then No space left on device",
                                     "unlink 0", "after unlink 65536"]
    assert r.tmp_dir is None
    # the host's /tmp was not touched: the guest's /tmp is its own
    assert not os.path.exists("/tmp/again") or os.path.getsize("/tmp/again") != 65536
    kept = cyclesim.run(elf, mode="functional", tmp_size="1MiB", keep_tmp=True, cwd=tmp_path)
    try:
        assert kept.tmp_dir and (Path(kept.tmp_dir) / "again").stat().st_size == 65536
    finally:
        import shutil
        shutil.rmtree(kept.tmp_dir, ignore_errors=True)
    # the CLI says where it kept it
    out = cli("run", "--mode", "functional", "--keep-tmp", elf, cwd=tmp_path)
    line = [x for x in out.stderr.decode().splitlines() if "is kept in" in x]
    assert out.returncode == 0 and len(line) == 1, out.stderr
    kept_dir = line[0].split("is kept in ")[1].strip()
    assert (Path(kept_dir) / "again").exists()
    import shutil
    shutil.rmtree(kept_dir)


ENV_PRINTER = r"""
#include <stdio.h>
extern char **environ;
int main(void) { for (char **e = environ; *e; e++) puts(*e); puts("--end--"); return 0; }
"""


def test_default_environment_env_and_clear_env(tmp_path):
    elf = build(ENV_PRINTER, name="envprint")
    default = cli("run", "--mode", "functional", elf, cwd=tmp_path)
    assert default.stdout.decode().splitlines() == [f"{k}={v}" for k, v in
                                                     DEFAULT_ENV.items()] + ["--end--"]
    assert "HOME" in DEFAULT_ENV and "PATH" in DEFAULT_ENV and "LANG" in DEFAULT_ENV
    changed = cli("run", "--mode", "functional", "--env", "PATH=/opt/bin", "--env", "X=1",
                  elf, cwd=tmp_path).stdout.decode().splitlines()
    assert "PATH=/opt/bin" in changed and "X=1" in changed and f"HOME=/tmp" in changed
    assert not any(x.startswith("PATH=/usr") for x in changed)
    cleared = cli("run", "--mode", "functional", "--clear-env", "--env", "ONLY=me", elf,
                  cwd=tmp_path).stdout.decode().splitlines()
    assert cleared == ["ONLY=me", "--end--"]
    assert cyclesim.run(elf, mode="functional", clear_env=True).stdout == "--end--\n"
    # the host's environment does not leak in
    leak = cli("run", "--mode", "functional", elf, cwd=tmp_path,
               env=dict(os.environ, PYTHONPATH=str(ROOT), SECRET_HOST_VAR="1"))
    assert b"SECRET_HOST_VAR" not in leak.stdout


FILE_USER = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        char mode = argv[i][0];                 /* r:path or w:path */
        FILE *f = fopen(argv[i] + 2, mode == 'r' ? "r" : "w");
        if (!f) { printf("%s: %s\n", argv[i], strerror(errno)); continue; }
        char line[64] = "";
        if (mode == 'r') fgets(line, sizeof line, f); else fputs("written\n", f);
        printf("%s: ok %s", argv[i], mode == 'r' ? line : "\n");
        fclose(f);
    }
    return 0;
}
"""


def test_cwd_is_the_users_and_denied_paths_are_reported(tmp_path):
    # the README's example: --allow-read data/ --allow-write out/, the guest opens data/x
    elf = build(FILE_USER, name="fileuser")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x").write_text("input line\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "secret.txt").write_text("not for the guest\n")
    args = ["r:data/x", "w:out/y", "r:secret.txt", "w:data/z", "r:missing.txt"]
    p = cli("run", "--mode", "functional", "--allow-read", "data/", "--allow-write", "out/",
            elf, *args, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout.decode().splitlines() == [
        "r:data/x: ok input line", "w:out/y: ok ", "r:secret.txt: No such file or directory",
        "w:data/z: Permission denied", "r:missing.txt: No such file or directory"]
    assert (tmp_path / "out" / "y").read_text() == "written\n"
    warning = [x for x in p.stderr.decode().splitlines() if "warning" in x]
    assert len(warning) == 1, p.stderr
    assert "refused the guest 2 time(s)" in warning[0]
    assert f"{tmp_path / 'secret.txt'} (hidden)" in warning[0]
    assert f"{tmp_path / 'data' / 'z'} (read-only)" in warning[0]
    assert "missing.txt" not in warning[0]          # absent on the host: not a refusal
    assert "--allow-read" in warning[0]
    r = cyclesim.run(elf, *args, mode="functional", allow_read=[tmp_path / "data"],
                     allow_write=tmp_path / "out", cwd=tmp_path)
    assert r.denied_paths == {"count": 2, "first": [
        {"path": str(tmp_path / "secret.txt"), "refused": "read"},
        {"path": str(tmp_path / "data" / "z"), "refused": "write"}]}
    # many refusals: all counted, the first few listed
    many = cyclesim.run(elf, *(["r:secret.txt"] * 30), mode="functional", cwd=tmp_path)
    assert many.denied_paths["count"] == 30 and len(many.denied_paths["first"]) == 1


HEAD = r"""
#include <stdio.h>
#include <unistd.h>
int main(void) {
    char buf[100]; size_t got = 0; ssize_t n;
    while (got < sizeof buf && (n = read(0, buf + got, sizeof buf - got)) > 0) got += n;
    printf("read %zu: %.5s\n", got, buf);
    return 0;
}
"""


def test_piped_stdin_is_streamed(tmp_path):
    # an endless pipe: only a stdin read as the guest asks lets the run end
    elf = build(HEAD, name="head100")
    yes = subprocess.Popen(["yes", "hello"], stdout=subprocess.PIPE)
    try:
        p = cli("run", "--mode", "functional", elf, stdin=yes.stdout, cwd=tmp_path)
    finally:
        yes.kill()
        yes.wait()
    assert p.returncode == 0, p.stderr
    assert p.stdout == b"read 100: hello\n"
    # `--stdin -` and `--stdin FILE`
    p = cli("run", "--mode", "functional", "--stdin", "-", elf, input=b"dash input",
            stdin=None, cwd=tmp_path)
    assert p.stdout == b"read 10: dash \n"
    (tmp_path / "in.txt").write_bytes(b"file input")
    p = cli("run", "--mode", "functional", "--stdin", "in.txt", elf, cwd=tmp_path)
    assert p.stdout == b"read 10: file \n"
    # the API takes a binary file object as stdin too
    with open(tmp_path / "in.txt", "rb") as f:
        assert cyclesim.run(elf, mode="functional", stdin=f).stdout == "read 10: file \n"


def test_terminal_stdin_is_read_only_when_asked(tmp_path):
    elf = build(HEAD, name="head100")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for flags, typed, expected in (([], b"", b"read 0: \n"),
                                   (["--stdin", "-"], b"typed\n", b"read 6: typed\n")):
        master, slave = pty.openpty()
        try:
            proc = subprocess.Popen([sys.executable, "-m", "cyclesim", "run", "--mode",
                                     "functional", *flags, str(elf)], stdin=slave,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    env=env, cwd=tmp_path)
            if typed:
                time.sleep(1.0)
                os.write(master, typed)
                os.write(master, b"\x04")     # Ctrl-D at the start of a line: end of input
            out, err = proc.communicate(timeout=120)
        finally:
            os.close(master)
            os.close(slave)
        assert proc.returncode == 0, err
        # the terminal echoes nothing into the guest's output; a terminal read gives a line
        assert out == expected, (flags, out, err)
