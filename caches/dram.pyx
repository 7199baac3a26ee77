"""Main memory: FixedMemory (every access costs the same) and Dram (a JEDEC-style DRAM
channel model with banks, a data bus, a request queue, FR-FCFS and refresh).

The rules of Dram are written out in docs/dram.md; in short, all times in core cycles:

  arrive   = now + controller                 the request reaches the channel's queue
  enqueue  = max(arrive, first free entry)     queue_size entries per channel; an entry is
                                               held from arrival to the column command
  row hit       RD/WR at the earliest cycle at least tCCD_L from every column command of
                its bank group, tCCD_S from every one of its rank, whose burst fits the bus
  row miss      ACT (no earlier than tRP after the bank's precharge, tRRD_S after the
                rank's last ACT, tRRD_L after the group's, tFAW after the rank's
                4th-last ACT), then RD/WR >= ACT + tRCD
  row conflict  PRE (>= ACT + tRAS, last RD + tRTP, last write burst end + tWR), ACT
                >= PRE + tRP, then RD/WR
  data          read burst at RD + tCL, write burst at WR + tCWL, each tBURST on the
                channel's data bus; column commands and bursts go into the earliest free
                slots of their timelines, so a request that is ready goes before older
                ones still waiting for their banks (FR-FCFS)
  latency  = end of the burst - now
  closed page   the bank auto-precharges after each access (open_row stays -1)
  refresh       rank r is busy in [k tREFI + off_r, + tRFC), k >= 1, off_r = r tREFI /
                ranks; a request whose activity would overlap such a window starts after
                it, with every row of the rank closed.

Each request is scheduled once, when `access` is called, against what is already booked;
booked requests never move. Calls need not come in time order: bursts and column commands
are placed into timelines (each remembers its last WINDOW events; nothing goes before a
forgotten one), while the ACTs of a rank are issued in call order (a younger row miss
never activates before an older request's ACT in the same rank). Nothing ever runs backwards: no wait is negative and the bus
never carries two bursts at once.

Shared by several cores (`order_by_cycle`, docs/engine.md "Cycle order at the shared
levels"), the request queues are occupancy timelines and a request enqueued before the
latest one booked at its bank finds the row of the bank's last column command at or
before its own cycle; booked requests still never move.
"""
import numpy as np

from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memmove
from caches.base cimport MemoryLevel
from caches.occupancy cimport (Occupancy, occ_init, occ_release, occ_clear, occ_free_at,
                               occ_book, occ_settle)
from caches.cache cimport K_STORE, KIND_WRITEBACK
from caches.dram_rules import check_timing_rules

try:
    from cyclesim.errors import ConfigError as _BadConfig
except ImportError:
    _BadConfig = ValueError

# Field codes of the address mapping, and the names they are written with.
FIELDS = ("row", "rank", "bank", "channel", "column")
ALIASES = {"row_bank_column": "row:rank:bank:channel:column",
           "row_column_bank": "row:column:rank:bank:channel"}
PAGE_POLICIES = ("open", "closed")
SCHEDULERS = ("frfcfs", "fcfs")

DEF WINDOW = 256              # events a timeline remembers (bursts, column commands)
DEF BANK_HISTORY = 64         # column commands a bank remembers (cycle order at shared DRAM)
DEF HIST_BINS = 4096          # one-cycle latency bins; the last holds 4095 and more
DEF NEVER = -(1 << 40)        # "no such event yet": far before cycle 0
DEF F_ROW = 0
DEF F_RANK = 1
DEF F_BANK = 2
DEF F_CHANNEL = 3
DEF F_COLUMN = 4


def parse_mapping(name):
    """(fields most significant first, bank_xor) of a mapping name; ValueError if bad.

    A name is the five fields row, rank, bank, channel, column in any order joined by ':'
    (most significant first; the row first, as it takes every bit left), where bank may be written bank_xor (permutation-based
    interleaving: the bank index is XORed with the low bits of the row), or one of the
    aliases row_bank_column and row_column_bank."""
    text = ALIASES.get(name, name)
    parts = text.split(":") if isinstance(text, str) else []
    xor = "bank_xor" in parts
    plain = ["bank" if p == "bank_xor" else p for p in parts]
    if sorted(plain) != sorted(FIELDS) or plain[0] != "row":
        raise ValueError(name)
    return tuple(plain), xor


cdef int log2_exact(uint64_t x):
    cdef int n = 0
    while ((<uint64_t> 1) << n) < x:
        n += 1
    return n


cdef inline bint is_write_kind(uint8_t kind) noexcept nogil:
    return kind == K_STORE or kind == KIND_WRITEBACK


cdef inline int64_t imax(int64_t a, int64_t b) noexcept nogil:
    return a if a > b else b


# -- timelines: the data bus of a channel, the ACTs and column commands of a rank or bank
# group. A timeline is a sorted array of up to WINDOW event cycles, with a floor below
# which nothing may go (the events it forgot); tl_slot finds the earliest cycle >= s at
# least d away from every event (d = tBURST: bursts never overlap; d = tCCD_L, ...).
cdef inline int64_t tl_slot(Timeline* tl, int64_t d, int64_t s) noexcept nogil:
    cdef int64_t* b = tl.ev + tl.lo
    cdef int64_t n = tl.n
    cdef int64_t lo = 0, hi = n, mid
    if s < tl.floor:
        s = tl.floor
    if n == 0 or b[n - 1] + d <= s:          # after every event (the common case)
        return s
    while lo < hi:                       # first event with b + d > s
        mid = (lo + hi) >> 1
        if b[mid] + d > s:
            hi = mid
        else:
            lo = mid + 1
    while lo < n and b[lo] < s + d:      # too close: go d after it
        if b[lo] + d > s:
            s = b[lo] + d
        lo += 1
    return s

cdef inline void tl_book(Timeline* tl, int64_t d, int64_t s) noexcept nogil:
    # The live events are ev[lo : lo + n]; forgetting the earliest is lo += 1, and the
    # array is slid back to 0 only when it reaches its end (once per WINDOW bookings).
    cdef int64_t* b
    cdef int64_t i
    if tl.lo + tl.n >= 2 * WINDOW + 1:
        memmove(tl.ev, tl.ev + tl.lo, tl.n * sizeof(int64_t))
        tl.lo = 0
    b = tl.ev + tl.lo
    i = tl.n
    while i > 0 and b[i - 1] > s:
        i -= 1
    memmove(&b[i + 1], &b[i], (tl.n - i) * sizeof(int64_t))
    b[i] = s
    tl.n += 1
    if tl.n > WINDOW:                    # forget the earliest; nothing goes before it
        tl.floor = imax(tl.floor, b[0] + d)
        tl.lo += 1
        tl.n -= 1


cdef class FixedMemory(MemoryLevel):
    """Main memory that answers every access after `latency` cycles."""

    def __init__(self, latency=100, level_id=4):
        if int(latency) < 0:
            raise _BadConfig(f"memory.latency is {latency}; it must be >= 0 cycles")
        self.latency = latency
        self.level_id = level_id
        self.reset_stats()

    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        self.n_access += 1
        if is_write_kind(kind):
            self.n_write += 1
        else:
            self.n_read += 1
        self.n_latency += self.latency
        served_by[0] = <uint8_t> self.level_id
        return self.latency

    def access_py(self, uint64_t addr, uint8_t kind, uint64_t now=0, uint64_t pc=0):
        cdef uint8_t served = 0
        cdef uint32_t lat = self.access(pc, addr, kind, now, &served)
        return lat, served

    def reset_stats(self):
        self.n_access = self.n_read = self.n_write = self.n_latency = 0

    def reset(self):
        self.reset_stats()

    def stats(self):
        return {"accesses": self.n_access, "reads": self.n_read, "writes": self.n_write,
                "total_latency": self.n_latency,
                "avg_latency": self.n_latency / self.n_access if self.n_access else 0.0}

    def __repr__(self):
        return f"FixedMemory(latency {self.latency} cycles)"


TIMING_NAMES = ("tRCD", "tCL", "tCWL", "tRP", "tRAS", "tWR", "tRTP", "tRRD_S", "tRRD_L",
                "tFAW", "tCCD_S", "tCCD_L", "tBURST", "tREFI", "tRFC")


cdef class Dram(MemoryLevel):
    """DRAM channels with ranks, bank groups and banks (times in core cycles).

    Dram(banks=8, row_size=8192, tRCD=14, tCL=14, tRP=14, tBURST=3, controller_latency=10,
         mapping="row_bank_column", line_size=64, level_id=4, *, channels=1, ranks=1,
         bank_groups=1, tCWL=tCL, tRAS=0, tWR=0, tRTP=0, tRRD_S=0, tRRD_L=tRRD_S, tFAW=0,
         tCCD_S=0, tCCD_L=tCCD_S, tREFI=0 (no refresh), tRFC=0, queue_size=32,
         page_policy="open", scheduler="frfcfs", frequency=0.0)

    `banks` counts the banks of one rank; bank b is in group b % bank_groups. The mapping
    names the fields of the line address, most significant first (see parse_mapping).
    """

    def __init__(self, banks=8, row_size=8192, tRCD=14, tCL=14, tRP=14, tBURST=3,
                 controller_latency=10, mapping="row_bank_column", line_size=64, level_id=4,
                 *, channels=1, ranks=1, bank_groups=1, tCWL=None, tRAS=0, tWR=0, tRTP=0,
                 tRRD_S=0, tRRD_L=None, tFAW=0, tCCD_S=0, tCCD_L=None, tREFI=0, tRFC=0,
                 queue_size=32, page_policy="open", scheduler="frfcfs", frequency=0.0):
        banks, row_size, line_size = int(banks), int(row_size), int(line_size)
        channels, ranks, bank_groups = int(channels), int(ranks), int(bank_groups)
        for nm, v in (("banks", banks), ("channels", channels), ("ranks", ranks),
                      ("bank_groups", bank_groups)):
            if v < 1 or v & (v - 1):
                raise _BadConfig(f"memory.{nm} is {v}; it must be a power of two (1, 2, 4, ...)")
        if bank_groups > banks:
            raise _BadConfig(f"memory.bank_groups is {bank_groups}; it must divide memory.banks "
                             f"({banks})")
        if row_size < 1 or row_size & (row_size - 1):
            raise _BadConfig(f"memory.row_size is {row_size} bytes; it must be a power of two")
        if line_size < 1 or line_size & (line_size - 1) or line_size > row_size:
            raise _BadConfig(f"the DRAM access size (the last cache's line_size, {line_size} "
                             f"bytes) must be a power of two no larger than memory.row_size "
                             f"({row_size} bytes)")
        try:
            order, xor = parse_mapping(mapping)
        except ValueError:
            raise _BadConfig(f"memory.mapping is {mapping!r}; use row_bank_column, "
                             f"row_column_bank, or the fields {', '.join(FIELDS)} in any "
                             f"order after row, joined by ':' (bank may be bank_xor)") from None
        if page_policy not in PAGE_POLICIES:
            raise _BadConfig(f"memory.page_policy is {page_policy!r}; use open or closed")
        if scheduler not in SCHEDULERS:
            raise _BadConfig(f"memory.scheduler is {scheduler!r}; use frfcfs or fcfs")
        if int(queue_size) < 1:
            raise _BadConfig(f"memory.queue_size is {queue_size}; it must be at least 1")
        times = {"tRCD": tRCD, "tCL": tCL, "tCWL": tCL if tCWL is None else tCWL, "tRP": tRP,
                 "tRAS": tRAS, "tWR": tWR, "tRTP": tRTP, "tRRD_S": tRRD_S,
                 "tRRD_L": tRRD_S if tRRD_L is None else tRRD_L, "tFAW": tFAW,
                 "tCCD_S": tCCD_S, "tCCD_L": tCCD_S if tCCD_L is None else tCCD_L,
                 "tBURST": tBURST, "tREFI": tREFI, "tRFC": tRFC,
                 "controller_latency": controller_latency}
        for nm, v in times.items():
            if int(v) < 0:
                raise _BadConfig(f"memory.{nm} is {v} cycles; it must be >= 0")
        times = {k: int(v) for k, v in times.items()}
        check_timing_rules(times, lambda v: f"{v} cycles")
        self.t.tRCD, self.t.tCL, self.t.tCWL = times["tRCD"], times["tCL"], times["tCWL"]
        self.t.tRP, self.t.tRAS, self.t.tWR = times["tRP"], times["tRAS"], times["tWR"]
        self.t.tRTP, self.t.tRRD_S, self.t.tRRD_L = times["tRTP"], times["tRRD_S"], times["tRRD_L"]
        self.t.tFAW, self.t.tCCD_S, self.t.tCCD_L = times["tFAW"], times["tCCD_S"], times["tCCD_L"]
        self.t.tBURST, self.t.tREFI, self.t.tRFC = times["tBURST"], times["tREFI"], times["tRFC"]
        self.t.controller = times["controller_latency"]
        self.channels, self.ranks, self.bank_groups, self.banks = channels, ranks, bank_groups, banks
        self.row_size, self.line_size = row_size, line_size
        self.queue_size = int(queue_size)
        self.mapping, self.page_policy, self.scheduler = mapping, page_policy, scheduler
        self.closed_page = page_policy == "closed"
        self.fcfs = scheduler == "fcfs"
        self.bank_xor = xor
        self.frequency = float(frequency)
        self.level_id = level_id
        self.line_shift = log2_exact(line_size)
        bits = {"row": 0, "rank": log2_exact(ranks), "bank": log2_exact(banks),
                "channel": log2_exact(channels), "column": log2_exact(row_size // line_size)}
        shift = 0
        for name in reversed(order):              # least significant field first
            f = FIELDS.index(name)
            self.field_shift[f] = shift
            self.field_mask[f] = ((<uint64_t> 1) << bits[name]) - 1
            shift += bits[name]
        self._alloc()
        self.reset()

    def _alloc(self):
        cdef size_t nb = self.channels * self.ranks * self.banks
        cdef size_t nr = self.channels * self.ranks
        cdef size_t ng = nr * self.bank_groups
        cdef size_t nc = self.channels
        cdef size_t i
        self.open_row = <int64_t*> calloc(nb, sizeof(int64_t))
        self.opened_at = <int64_t*> calloc(nb, sizeof(int64_t))
        self.act_ok = <int64_t*> calloc(nb, sizeof(int64_t))
        self.pre_ok = <int64_t*> calloc(nb, sizeof(int64_t))
        self.col_ok = <int64_t*> calloc(nb, sizeof(int64_t))
        self.ref_offset = <int64_t*> calloc(nr, sizeof(int64_t))
        self.queue_free = <int64_t*> calloc(nc * self.queue_size, sizeof(int64_t))
        self.n_timelines = 2 * nr + 2 * ng + nc
        self.timelines = <Timeline*> calloc(self.n_timelines, sizeof(Timeline))
        if not self.timelines:
            raise MemoryError("DRAM state")
        for i in range(self.n_timelines):
            self.timelines[i].ev = <int64_t*> calloc(2 * WINDOW + 1, sizeof(int64_t))
            if not self.timelines[i].ev:
                raise MemoryError("DRAM state")
        self.rank_act_tl = self.timelines
        self.rank_col_tl = self.timelines + nr
        self.group_act_tl = self.timelines + 2 * nr
        self.group_col_tl = self.timelines + 2 * nr + ng
        self.bus_tl = self.timelines + 2 * nr + 2 * ng
        self.chan_last_cmd = <int64_t*> calloc(nc, sizeof(int64_t))
        self.read_hist = <uint64_t*> calloc(HIST_BINS, sizeof(uint64_t))
        self.write_hist = <uint64_t*> calloc(HIST_BINS, sizeof(uint64_t))
        if (not self.open_row or not self.opened_at or not self.act_ok or not self.pre_ok
                or not self.col_ok or not self.ref_offset or not self.queue_free
                or not self.chan_last_cmd or not self.read_hist or not self.write_hist):
            raise MemoryError("DRAM state")

    def __dealloc__(self):
        cdef size_t i
        free(self.open_row); free(self.opened_at); free(self.act_ok); free(self.pre_ok)
        free(self.col_ok); free(self.ref_offset); free(self.queue_free)
        free(self.chan_last_cmd); free(self.read_hist); free(self.write_hist)
        if self.timelines:
            for i in range(self.n_timelines):
                free(self.timelines[i].ev)
            free(self.timelines)
        if self.queue_tl:
            for i in range(self.channels):
                occ_release(&self.queue_tl[i])
            free(self.queue_tl)
        free(self.latest_start); free(self.latest_col); free(self.hist_col); free(self.hist_row); free(self.hist_next)

    # -- the timing parameters, read-only from Python ------------------------------------
    @property
    def tRCD(self): return self.t.tRCD
    @property
    def tCL(self): return self.t.tCL
    @property
    def tCWL(self): return self.t.tCWL
    @property
    def tRP(self): return self.t.tRP
    @property
    def tRAS(self): return self.t.tRAS
    @property
    def tWR(self): return self.t.tWR
    @property
    def tRTP(self): return self.t.tRTP
    @property
    def tRRD_S(self): return self.t.tRRD_S
    @property
    def tRRD_L(self): return self.t.tRRD_L
    @property
    def tFAW(self): return self.t.tFAW
    @property
    def tCCD_S(self): return self.t.tCCD_S
    @property
    def tCCD_L(self): return self.t.tCCD_L
    @property
    def tBURST(self): return self.t.tBURST
    @property
    def tREFI(self): return self.t.tREFI
    @property
    def tRFC(self): return self.t.tRFC
    @property
    def controller_latency(self): return self.t.controller

    def timing(self):
        """{name: cycles} of every timing parameter."""
        out = {n: getattr(self, n) for n in TIMING_NAMES}
        out["controller_latency"] = self.t.controller
        return out

    # -- address decoding -----------------------------------------------------------------
    cdef void locate_c(self, uint64_t addr, uint32_t* ch, uint32_t* rank, uint32_t* bank,
                       int64_t* row) noexcept nogil:
        cdef uint64_t line = addr >> self.line_shift
        cdef uint64_t r = line >> self.field_shift[F_ROW]
        ch[0] = <uint32_t> ((line >> self.field_shift[F_CHANNEL]) & self.field_mask[F_CHANNEL])
        rank[0] = <uint32_t> ((line >> self.field_shift[F_RANK]) & self.field_mask[F_RANK])
        bank[0] = <uint32_t> ((line >> self.field_shift[F_BANK]) & self.field_mask[F_BANK])
        if self.bank_xor:       # Zhang et al., MICRO 2000: spread row conflicts over banks
            bank[0] = <uint32_t> ((bank[0] ^ r) & self.field_mask[F_BANK])
        row[0] = <int64_t> r

    def locate(self, uint64_t addr):
        """(bank, row) that `addr` maps to (bank within its rank)."""
        cdef uint32_t ch, rk, bk
        cdef int64_t row
        self.locate_c(addr, &ch, &rk, &bk, &row)
        return int(bk), int(row)

    def decode(self, uint64_t addr):
        """{"channel", "rank", "bank_group", "bank", "row", "column"} of `addr`."""
        cdef uint32_t ch, rk, bk
        cdef int64_t row
        self.locate_c(addr, &ch, &rk, &bk, &row)
        line = addr >> self.line_shift
        col = (line >> self.field_shift[F_COLUMN]) & self.field_mask[F_COLUMN]
        return {"channel": int(ch), "rank": int(rk), "bank_group": int(bk % self.bank_groups),
                "bank": int(bk), "row": int(row), "column": int(col)}

    # -- refresh ----------------------------------------------------------------------------
    cdef int64_t refreshes_by(self, uint32_t r, int64_t t) noexcept nogil:
        # number of refresh windows of rank r (global index) begun at or before cycle t
        cdef int64_t off = self.ref_offset[r]
        if t < off + self.t.tREFI:
            return 0
        return (t - off) // self.t.tREFI

    cdef int64_t refresh_after(self, uint32_t r, int64_t t) noexcept nogil:
        # start of the first refresh window of rank r that ends after cycle t
        cdef int64_t off = self.ref_offset[r]
        cdef int64_t k = 1
        if t - off - self.t.tRFC >= self.t.tREFI:
            k = (t - off - self.t.tRFC) // self.t.tREFI + 1
        return off + k * self.t.tREFI

    cdef int64_t act_slot(self, uint32_t r, uint32_t g, int64_t a) noexcept nogil:
        # earliest ACT >= a of rank r, bank group g: tRRD_S from every ACT of the rank,
        # tRRD_L from every ACT of the group, and no five ACTs of the rank within tFAW
        cdef Timeline* ra = &self.rank_act_tl[r]
        cdef int64_t* x
        cdef int64_t n
        cdef int64_t p, j, lo, hi, first, last
        cdef int64_t before
        cdef bint moved = True
        while moved:
            before = a
            a = tl_slot(ra, self.t.tRRD_S, a)
            a = tl_slot(&self.group_act_tl[g], self.t.tRRD_L, a)
            x = ra.ev + ra.lo
            n = ra.n
            moved = a != before              # the group's spacing may break the rank's
            if moved or self.t.tFAW == 0 or n < 4:
                continue
            lo = 0                           # p: a goes after the events <= a
            hi = n
            while lo < hi:
                p = (lo + hi) >> 1
                if x[p] <= a:
                    lo = p + 1
                else:
                    hi = p
            p = lo
            # every run of five consecutive ACTs (with a) must span tFAW or more
            for j in range(p - 4, p + 1):
                if j < 0 or j + 4 > n:
                    continue
                first = a if j == p else x[j]
                last = a if j + 4 == p else x[j + 3 if j + 4 > p else j + 4]
                if last - first < self.t.tFAW:
                    if j + 4 == p:           # a closes the run: move it to the window's end
                        a = x[j] + self.t.tFAW
                    else:                    # a sits inside a run too short: past the next ACT
                        a = x[p]
                    moved = True
                    break
        return a

    cdef void bank_before(self, uint32_t b, int64_t t, int64_t* col,
                          int64_t* row) noexcept nogil:
        # the bank's last remembered column command at or before cycle t, and its row
        # (-1: none remembered, or closed page)
        cdef uint32_t i
        cdef int64_t* c = self.hist_col + b * BANK_HISTORY
        col[0] = NEVER
        row[0] = -1
        for i in range(BANK_HISTORY):
            if c[i] <= t and c[i] > col[0]:
                col[0] = c[i]
                row[0] = self.hist_row[b * BANK_HISTORY + i]

    # -- one request ---------------------------------------------------------------------
    cdef uint32_t access(self, uint64_t pc, uint64_t addr, uint8_t kind, uint64_t now,
                         uint8_t* served_by) noexcept nogil:
        cdef uint32_t ch, rk, bk, b, r, g, qi, i
        cdef int64_t row
        cdef bint write = is_write_kind(kind)
        cdef int64_t arrive = <int64_t> now + self.t.controller
        cdef int64_t enq, start, pre, act, col, ds, done, end, w, lat_cl
        cdef int64_t* q
        cdef Timeline* bus
        cdef Timeline* gc
        cdef Timeline* rc
        cdef bint refreshed = False, closed
        cdef int outcome = 0                 # 0 hit, 1 miss, 2 conflict
        cdef int tries = 0
        cdef bint behind = False             # enqueued before a request already booked here
        cdef int64_t last_col, last_row
        self.locate_c(addr, &ch, &rk, &bk, &row)
        r = ch * self.ranks + rk
        b = r * self.banks + bk
        g = r * self.bank_groups + bk % self.bank_groups
        bus = &self.bus_tl[ch]
        gc = &self.group_col_tl[g]
        rc = &self.rank_col_tl[r]
        # the channel's request queue: take the entry that frees first
        q = self.queue_free + ch * self.queue_size
        qi = 0
        if self.cycle_ordered:
            enq = <int64_t> occ_free_at(&self.queue_tl[ch], <uint64_t> arrive)
        else:
            for i in range(1, self.queue_size):
                if q[i] < q[qi]:
                    qi = i
            enq = imax(arrive, q[qi])
        if enq > arrive:
            self.n_queue_full += 1
            self.n_queue_wait += enq - arrive
        start = enq
        if self.fcfs:                        # in order: after the previous request's commands
            start = imax(start, self.chan_last_cmd[ch])
        lat_cl = self.t.tCWL if write else self.t.tCL
        if self.cycle_ordered:
            behind = start < self.latest_start[b]
        while True:
            if behind:
                # out of cycle order (another hart ran ahead in the quantum): the bank has
                # the row of its last column command at or before `start`; bookings made
                # after it stay where they are
                self.bank_before(b, start, &last_col, &last_row)
                pre = NEVER
                act = NEVER
                if refreshed or last_row < 0 or (
                        self.t.tREFI > 0 and
                        self.refreshes_by(r, start) > self.refreshes_by(r, last_col)):
                    outcome = 1
                    act = imax(start, last_col + self.t.tRTP + self.t.tRP)
                elif last_row == row and not self.closed_page:
                    outcome = 0
                elif self.closed_page:
                    outcome = 1
                    act = imax(start, last_col + self.t.tRTP + self.t.tRP)
                else:
                    outcome = 2
                    pre = imax(start, last_col + self.t.tRTP)
                    act = pre + self.t.tRP
                if outcome != 0:
                    act = self.act_slot(r, g, act)
                    col = act + self.t.tRCD
                else:
                    col = start
            else:
                closed = refreshed or self.open_row[b] < 0 or (
                    self.t.tREFI > 0 and
                    self.refreshes_by(r, start) > self.refreshes_by(r, self.opened_at[b]))
                pre = NEVER
                act = NEVER
                if closed:
                    outcome = 1
                    act = imax(start, self.act_ok[b])
                elif self.open_row[b] == row:
                    outcome = 0
                else:
                    outcome = 2
                    pre = imax(start, self.pre_ok[b])
                    act = pre + self.t.tRP
                if outcome != 0:
                    act = self.act_slot(r, g, act)
                    col = act + self.t.tRCD
                else:
                    col = imax(start, self.col_ok[b])
            while True:                      # column slots of rank and group, a bus slot
                col = tl_slot(gc, self.t.tCCD_L, col)
                w = tl_slot(rc, self.t.tCCD_S, col)
                if w != col:
                    col = w
                    continue
                ds = tl_slot(bus, self.t.tBURST, col + lat_cl)
                if ds - lat_cl == col:
                    break
                col = ds - lat_cl
            done = ds + self.t.tBURST
            end = done + self.t.tWR if write else done
            if self.t.tREFI > 0 and tries < 64:
                w = self.refresh_after(r, start)
                if w < end:                  # would overlap the rank's refresh: after it
                    start = w + self.t.tRFC
                    if not refreshed:
                        self.n_refresh_hit += 1
                    refreshed = True
                    tries += 1
                    continue
            break
        if refreshed:
            self.n_refresh_wait += start - enq
        # book it
        if outcome != 0:
            tl_book(&self.rank_act_tl[r], imax(self.t.tRRD_S, self.t.tFAW), act)
            tl_book(&self.group_act_tl[g], self.t.tRRD_L, act)
        tl_book(gc, self.t.tCCD_L, col)
        tl_book(rc, self.t.tCCD_S, col)
        if self.cycle_ordered:
            w = b * BANK_HISTORY + self.hist_next[b]
            self.hist_col[w] = col
            self.hist_row[w] = -1 if self.closed_page else row
            self.hist_next[b] = (self.hist_next[b] + 1) % BANK_HISTORY
        # The bank's state is that after its latest column command. Out of cycle order, a
        # request updates it only when its own column command is the latest.
        if not behind or col > self.latest_col[b]:
            if self.cycle_ordered:
                self.latest_start[b] = imax(self.latest_start[b], start)
                self.latest_col[b] = imax(self.latest_col[b], col)
            if outcome != 0:
                self.open_row[b] = row
                self.opened_at[b] = act
                self.col_ok[b] = act + self.t.tRCD
                self.pre_ok[b] = act + self.t.tRAS
            elif behind and self.open_row[b] != row:   # the row it found open at its cycle
                self.open_row[b] = row
                self.opened_at[b] = last_col
                self.col_ok[b] = col
                self.pre_ok[b] = col
            if write:
                self.pre_ok[b] = imax(self.pre_ok[b], done + self.t.tWR)
            else:
                self.pre_ok[b] = imax(self.pre_ok[b], col + self.t.tRTP)
            if self.closed_page:             # auto-precharge at the earliest legal cycle
                self.act_ok[b] = self.pre_ok[b] + self.t.tRP
                self.open_row[b] = -1
            elif outcome == 2:
                self.act_ok[b] = pre + self.t.tRP
        tl_book(bus, self.t.tBURST, ds)
        if self.cycle_ordered:
            occ_book(&self.queue_tl[ch], <uint64_t> arrive, <uint64_t> enq, <uint64_t> col, 0, 0)
        else:
            q[qi] = col
        if self.fcfs:
            self.chan_last_cmd[ch] = imax(self.chan_last_cmd[ch], col)
        # statistics
        cdef int64_t first = act if outcome != 0 else col
        if outcome == 2:
            first = pre
        cdef uint64_t latency = <uint64_t> (done - <int64_t> now)
        self.n_access += 1
        if outcome == 0:
            self.n_row_hit += 1
        elif outcome == 1:
            self.n_row_miss += 1
        else:
            self.n_row_conflict += 1
        self.n_wait += <uint64_t> (first - enq) if first > enq else 0

        self.n_queue_time += <uint64_t> (col - arrive) if col > arrive else 0
        self.n_latency += latency
        if write:
            self.n_write += 1
            self.n_write_latency += latency
            self.write_hist[latency if latency < HIST_BINS else HIST_BINS - 1] += 1
            if latency > self.max_write:
                self.max_write = latency
        else:
            self.n_read += 1
            self.n_read_latency += latency
            self.read_hist[latency if latency < HIST_BINS else HIST_BINS - 1] += 1
            if latency > self.max_read:
                self.max_read = latency
        if self.n_access == 1 or <int64_t> now < self.first_arrival:
            self.first_arrival = <int64_t> now
        if done > self.last_done:
            self.last_done = done
        served_by[0] = <uint8_t> self.level_id
        return <uint32_t> latency

    def access_py(self, uint64_t addr, uint8_t kind, uint64_t now=0, uint64_t pc=0):
        """One access from Python: returns (latency in cycles, level_id)."""
        cdef uint8_t served = 0
        cdef uint32_t lat = self.access(pc, addr, kind, now, &served)
        return lat, served

    def run(self, addrs, kinds, nows):
        """Many accesses in call order (arrays of addresses, kinds, cycles): latencies."""
        cdef uint64_t[::1] a = np.ascontiguousarray(addrs, dtype=np.uint64)
        cdef uint8_t[::1] k = np.ascontiguousarray(kinds, dtype=np.uint8)
        cdef uint64_t[::1] t = np.ascontiguousarray(nows, dtype=np.uint64)
        out = np.zeros(a.shape[0], dtype=np.uint32)
        cdef uint32_t[::1] o = out
        cdef uint8_t served = 0
        cdef Py_ssize_t i
        with nogil:
            for i in range(a.shape[0]):
                o[i] = self.access(0, a[i], k[i], t[i], &served)
        return out

    # -- state and statistics ------------------------------------------------------------
    def reset_stats(self):
        self.n_access = self.n_read = self.n_write = 0
        self.n_row_hit = self.n_row_miss = self.n_row_conflict = 0
        self.n_latency = self.n_read_latency = self.n_write_latency = 0
        self.n_wait = self.n_bus_wait = self.n_queue_wait = self.n_queue_full = 0
        self.n_queue_time = self.n_refresh_hit = self.n_refresh_wait = 0
        self.first_arrival = self.last_done = 0
        self.max_read = self.max_write = 0
        cdef int i
        for i in range(HIST_BINS):
            self.read_hist[i] = 0
            self.write_hist[i] = 0

    def reset(self):
        """Close every row, free every bank, the bus and the queues, zero the counters."""
        cdef size_t i
        cdef size_t nb = self.channels * self.ranks * self.banks
        cdef size_t nr = self.channels * self.ranks
        for i in range(nb):
            self.open_row[i] = -1
            self.opened_at[i] = NEVER
            self.act_ok[i] = NEVER
            self.pre_ok[i] = NEVER
            self.col_ok[i] = NEVER
        for i in range(nr):
            self.ref_offset[i] = (i % self.ranks) * self.t.tREFI // self.ranks
        for i in range(self.n_timelines):
            self.timelines[i].lo = 0
            self.timelines[i].n = 0
            self.timelines[i].floor = NEVER
        for i in range(self.channels * self.queue_size):
            self.queue_free[i] = NEVER
        for i in range(self.channels):
            self.chan_last_cmd[i] = NEVER
            if self.cycle_ordered:
                occ_clear(&self.queue_tl[i])
        if self.cycle_ordered:
            for i in range(nb):
                self.latest_start[i] = NEVER
                self.latest_col[i] = NEVER
                self.hist_next[i] = 0
            for i in range(nb * BANK_HISTORY):
                self.hist_col[i] = NEVER
                self.hist_row[i] = -1
        self.reset_stats()

    def order_by_cycle(self):
        """Make the request queues occupancy timelines (main memory several cores share;
        docs/engine.md, "Cycle order at the shared levels"). Call it before the first access."""
        cdef size_t i
        if self.cycle_ordered:
            return
        cdef size_t nb = self.channels * self.ranks * self.banks
        self.queue_tl = <Occupancy*> calloc(self.channels, sizeof(Occupancy))
        self.latest_start = <int64_t*> calloc(nb, sizeof(int64_t))
        self.latest_col = <int64_t*> calloc(nb, sizeof(int64_t))
        self.hist_col = <int64_t*> calloc(nb * BANK_HISTORY, sizeof(int64_t))
        self.hist_row = <int64_t*> calloc(nb * BANK_HISTORY, sizeof(int64_t))
        self.hist_next = <uint32_t*> calloc(nb, sizeof(uint32_t))
        if (not self.queue_tl or not self.latest_start
                or not self.latest_col or not self.hist_col
                or not self.hist_row or not self.hist_next):
            raise MemoryError("DRAM state")
        for i in range(nb):
            self.latest_start[i] = NEVER
            self.latest_col[i] = NEVER
        for i in range(nb * BANK_HISTORY):
            self.hist_col[i] = NEVER
            self.hist_row[i] = -1

        for i in range(self.channels):
            if occ_init(&self.queue_tl[i], self.queue_size, 8 * self.queue_size) < 0:
                raise MemoryError("DRAM state")
        self.cycle_ordered = True

    def settle(self, uint64_t cycle):
        """No request will come before `cycle`: forget the queue entries freed by it."""
        cdef size_t i
        if self.cycle_ordered:
            for i in range(self.channels):
                occ_settle(&self.queue_tl[i], cycle)

    def latency_histogram(self, kind="read"):
        """Counts per latency in cycles (index = cycles; the last bin holds every latency
        of HIST_BINS - 1 cycles or more), of reads or writes."""
        cdef uint64_t* h = self.read_hist if kind == "read" else self.write_hist
        if kind not in ("read", "write"):
            raise ValueError(f"kind is {kind!r}; use read or write")
        return np.array([h[i] for i in range(HIST_BINS)], dtype=np.uint64)

    @property
    def peak_bytes_per_cycle(self):
        """channels x line_size / tBURST: the most the data buses can carry."""
        return (<double> self.channels * self.line_size / self.t.tBURST if self.t.tBURST
                else float("inf"))

    def stats(self):
        n = self.n_access
        span = self.last_done - self.first_arrival if n else 0
        nbytes = n * self.line_size
        bpc = nbytes / span if span > 0 else 0.0
        out = {"accesses": n, "reads": self.n_read, "writes": self.n_write,
               "row_hits": self.n_row_hit, "row_misses": self.n_row_miss,
               "row_conflicts": self.n_row_conflict,
               "row_hit_rate": self.n_row_hit / n if n else 0.0,
               "row_miss_rate": self.n_row_miss / n if n else 0.0,
               "row_conflict_rate": self.n_row_conflict / n if n else 0.0,
               "total_latency": self.n_latency,
               "avg_latency": self.n_latency / n if n else 0.0,
               "avg_read_latency": self.n_read_latency / self.n_read if self.n_read else 0.0,
               "avg_write_latency": (self.n_write_latency / self.n_write if self.n_write
                                     else 0.0),
               "bank_wait_cycles": self.n_wait,
               "queue_full_waits": self.n_queue_full, "queue_wait_cycles": self.n_queue_wait,
               "avg_queue_occupancy": self.n_queue_time / span if span > 0 else 0.0,
               "refresh_delays": self.n_refresh_hit,
               "refresh_wait_cycles": self.n_refresh_wait,
               "bytes": nbytes, "active_cycles": span,
               "bandwidth_bytes_per_cycle": bpc,
               "bandwidth_GBps": bpc * self.frequency / 1e9,
               "bus_utilization": (n * self.t.tBURST / (span * self.channels)
                                   if span > 0 else 0.0)}
        for kind, hist, mx in (("read", self.latency_histogram("read"), self.max_read),
                               ("write", self.latency_histogram("write"), self.max_write)):
            out.update(_percentiles(kind, hist, mx))
        return out

    def __repr__(self):
        return (f"Dram({self.channels} channel(s) x {self.ranks} rank(s) x {self.banks} banks "
                f"({self.bank_groups} groups), {self.row_size} B rows, {self.mapping}, "
                f"{self.page_policy} page, {self.scheduler}, tRCD {self.t.tRCD} tCL "
                f"{self.t.tCL} tRP {self.t.tRP} tBURST {self.t.tBURST} controller "
                f"{self.t.controller} cycles)")


def _percentiles(kind, hist, mx):
    """{kind_latency_p50, _p90, _p99, _max} from a one-cycle histogram (exact below the
    overflow bin; a percentile in the overflow bin is reported as the maximum)."""
    total = int(hist.sum())
    out = {f"{kind}_latency_max": int(mx)}
    cum = np.cumsum(hist)
    for p in (50, 90, 99):
        if total == 0:
            out[f"{kind}_latency_p{p}"] = 0
            continue
        i = int(np.searchsorted(cum, -(-total * p // 100)))
        out[f"{kind}_latency_p{p}"] = int(mx) if i >= len(hist) - 1 else i
    return out
