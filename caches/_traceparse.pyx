"""Parsers for text address traces, in C: Valgrind lackey output and DineroIV din.

Python's line-by-line parsing reaches about a million lines per second; these loops read a
block of bytes, write records into preallocated arrays and stop at the last complete line,
so a file of any size is read in bounded memory (caches/tracefile.py drives them).

Each parser returns (records, bytes consumed, lines consumed, instructions, error line,
error message). The error line is counted from the start of the block (0 = no error).
"""
from libc.stdint cimport uint8_t, uint16_t, uint64_t

# AccessKind values (pipeline/types.pxd)
cdef enum:
    K_IFETCH = 0
    K_LOAD = 1
    K_STORE = 2


cdef inline int hexval(unsigned char c) noexcept nogil:
    if 48 <= c <= 57:
        return c - 48
    if 97 <= c <= 102:
        return c - 87
    if 65 <= c <= 70:
        return c - 55
    return -1


cdef inline bint is_space(unsigned char c) noexcept nogil:
    return c == 32 or c == 9 or c == 13


# The steps both formats share, on the block's bytes b[0..n): each returns the position
# after what it read.

cdef inline Py_ssize_t line_end(const unsigned char* b, Py_ssize_t i,
                                Py_ssize_t n) noexcept nogil:
    """The position of the newline ending the line that starts at i (n if there is none)."""
    while i < n and b[i] != 10:
        i += 1
    return i


cdef inline Py_ssize_t skip_blanks(const unsigned char* b, Py_ssize_t p,
                                   Py_ssize_t end) noexcept nogil:
    while p < end and is_space(b[p]):
        p += 1
    return p


cdef inline Py_ssize_t read_hex(const unsigned char* b, Py_ssize_t p, Py_ssize_t end,
                                uint64_t* value, int* digits) noexcept nogil:
    """A hexadecimal number at p (no prefix): value[0] and its digit count digits[0]."""
    cdef uint64_t v = 0
    cdef int nd = 0, h
    while p < end:
        h = hexval(b[p])
        if h < 0:
            break
        v = (v << 4) | <uint64_t> h
        nd += 1
        p += 1
    value[0] = v
    digits[0] = nd
    return p


def parse_lackey(const unsigned char[::1] buf, bint final, uint64_t[::1] addr,
                 uint16_t[::1] size, uint8_t[::1] kind):
    """Lackey (`valgrind --tool=lackey --trace-mem=yes`) records: `I  addr,size` (fetch),
    ` L addr,size`, ` S addr,size`, ` M addr,size` (modify = a load then a store of the
    same bytes). Lines starting with `==` (Valgrind's own messages) and blank lines are
    skipped. Output arrays need room for two records per line."""
    cdef Py_ssize_t n = buf.shape[0], i = 0, p, end
    cdef Py_ssize_t nrec = 0, lines = 0, insts = 0, err_line = 0
    cdef const unsigned char* b = &buf[0] if n > 0 else NULL
    cdef unsigned char op
    cdef uint64_t a, s
    cdef int nd
    msg = ""
    with nogil:
        while i < n:
            end = line_end(b, i, n)       # an incomplete last line waits for more data
            if end == n and not final:
                break
            p = skip_blanks(b, i, end)
            lines += 1
            i = end + 1
            if p == end:
                continue
            op = b[p]
            if op == 61:                              # '=': Valgrind message
                continue
            if op != 73 and op != 76 and op != 83 and op != 77:   # I L S M
                err_line = lines
                break
            p = read_hex(b, skip_blanks(b, p + 1, end), end, &a, &nd)
            if nd == 0 or nd > 16 or p >= end or b[p] != 44:   # ','
                err_line = lines
                break
            p += 1
            s = 0
            nd = 0
            while p < end and 48 <= b[p] <= 57:
                s = s * 10 + (b[p] - 48)
                nd += 1
                p += 1
            p = skip_blanks(b, p, end)
            if nd == 0 or nd > 5 or s > 65535 or p != end:
                err_line = lines
                break
            if op == 73:
                insts += 1
                addr[nrec] = a; size[nrec] = <uint16_t> s; kind[nrec] = K_IFETCH
                nrec += 1
            elif op == 76:
                addr[nrec] = a; size[nrec] = <uint16_t> s; kind[nrec] = K_LOAD
                nrec += 1
            elif op == 83:
                addr[nrec] = a; size[nrec] = <uint16_t> s; kind[nrec] = K_STORE
                nrec += 1
            else:
                addr[nrec] = a; size[nrec] = <uint16_t> s; kind[nrec] = K_LOAD
                addr[nrec + 1] = a; size[nrec + 1] = <uint16_t> s; kind[nrec + 1] = K_STORE
                nrec += 2
    if err_line:
        msg = ("expected 'I addr,size', ' L addr,size', ' S addr,size' or ' M addr,size' "
               "(hex address, decimal size up to 65535)")
    return nrec, i, lines, insts, err_line, msg


def parse_din(const unsigned char[::1] buf, bint final, bint extended, uint64_t[::1] addr,
              uint16_t[::1] size, uint8_t[::1] kind, uint16_t default_size):
    """DineroIV din records: `label address` with label 0 read, 1 write, 2 instruction
    fetch, 3 escape (an access of unknown type: counted as a read), 4 escape (flush the
    caches: returned as kind 255); the address is hex without 0x. In the traditional
    format the rest of the line is ignored (a comment); with `extended` a third field is
    the access size in hex. Blank lines are skipped."""
    cdef Py_ssize_t n = buf.shape[0], i = 0, p, end
    cdef Py_ssize_t nrec = 0, lines = 0, insts = 0, err_line = 0
    cdef const unsigned char* b = &buf[0] if n > 0 else NULL
    cdef int label, nd
    cdef uint64_t a, s
    cdef int why = 0
    with nogil:
        while i < n:
            end = line_end(b, i, n)
            if end == n and not final:
                break
            p = skip_blanks(b, i, end)
            lines += 1
            i = end + 1
            if p == end:
                continue
            if not (48 <= b[p] <= 52) or (p + 1 < end and not is_space(b[p + 1])):
                err_line = lines
                why = 1
                break
            label = b[p] - 48
            p = skip_blanks(b, p + 1, end)
            if p + 1 < end and b[p] == 48 and (b[p + 1] == 120 or b[p + 1] == 88):
                p += 2                                # tolerate a 0x prefix
            p = read_hex(b, p, end, &a, &nd)
            if nd == 0 or nd > 16 or (p < end and not is_space(b[p])):
                err_line = lines
                why = 2
                break
            s = default_size
            if extended:
                p = skip_blanks(b, p, end)
                if p < end:
                    p = read_hex(b, p, end, &s, &nd)
                    if nd == 0 or s > 65535 or (p < end and not is_space(b[p])):
                        err_line = lines
                        why = 3
                        break
            if label == 2:
                insts += 1
            addr[nrec] = a
            size[nrec] = <uint16_t> s
            kind[nrec] = (K_LOAD if label == 0 or label == 3 else K_STORE if label == 1
                          else K_IFETCH if label == 2 else 255)
            nrec += 1
    msg = ""
    if why == 1:
        msg = "expected a label 0-4 (read, write, fetch, escape, flush) at the start of the line"
    elif why == 2:
        msg = "expected a hexadecimal address after the label"
    elif why == 3:
        msg = "expected a hexadecimal size (up to ffff) after the address"
    return nrec, i, lines, insts, err_line, msg
