"""A plain Python DRAM model written from the rules of docs/dram.md, to check caches.dram.Dram
against, request for request.

It keeps everything as logs of issued commands (every ACT, PRE, column command and data
burst with its cycle) and finds each command's cycle by stepping forward one cycle at a
time from the earliest candidate until every rule, checked against the logs, allows it.
Slow and literal on purpose: no summarised "next free" times.
"""
from bisect import bisect_left, insort

READ_KINDS = (0, 1, 3)      # ifetch, load, amo (a read-for-ownership)
STORE, WRITEBACK = 2, 4
FIELDS = ("row", "rank", "bank", "channel", "column")
ALIASES = {"row_bank_column": "row:rank:bank:channel:column",
           "row_column_bank": "row:column:rank:bank:channel"}
WINDOW = 256


def log2(n):
    return n.bit_length() - 1


class RefDram:
    def __init__(self, *, banks=8, row_size=8192, line_size=64, channels=1, ranks=1,
                 bank_groups=1, mapping="row_bank_column", page_policy="open",
                 scheduler="frfcfs", queue_size=32, controller_latency=10, tRCD=14, tCL=14,
                 tCWL=None, tRP=14, tRAS=0, tWR=0, tRTP=0, tRRD_S=0, tRRD_L=None, tFAW=0,
                 tCCD_S=0, tCCD_L=None, tBURST=3, tREFI=0, tRFC=0):
        self.banks, self.row_size, self.line_size = banks, row_size, line_size
        self.channels, self.ranks, self.bank_groups = channels, ranks, bank_groups
        order = ALIASES.get(mapping, mapping).split(":")
        self.xor = "bank_xor" in order
        self.order = ["bank" if f == "bank_xor" else f for f in order]
        self.closed_page = page_policy == "closed"
        self.fcfs = scheduler == "fcfs"
        self.queue_size = queue_size
        self.ctrl = controller_latency
        self.tRCD, self.tCL, self.tRP, self.tRAS = tRCD, tCL, tRP, tRAS
        self.tCWL = tCL if tCWL is None else tCWL
        self.tWR, self.tRTP, self.tRRD_S, self.tFAW = tWR, tRTP, tRRD_S, tFAW
        self.tRRD_L = tRRD_S if tRRD_L is None else tRRD_L
        self.tCCD_S = tCCD_S
        self.tCCD_L = tCCD_S if tCCD_L is None else tCCD_L
        self.tBURST, self.tREFI, self.tRFC = tBURST, tREFI, tRFC
        # logs
        self.bank = {}          # (ch, rank, bank) -> {"row", "act", "pres", "since_act"}
        self.acts = {}          # (ch, rank) -> sorted ACT cycles
        self.group_acts = {}    # (ch, rank, group) -> sorted ACT cycles
        self.group_cols = {}    # (ch, rank, group) -> sorted column command cycles
        self.rank_cols = {}     # (ch, rank) -> sorted column command cycles
        self.bursts = {}        # ch -> sorted burst start cycles
        self.queue = {}         # ch -> [cycle each entry frees]
        self.chan_cols = {}     # ch -> [column command cycles] (fcfs)
        self.log = []           # (kind, outcome, latency) per request

    # -- address ------------------------------------------------------------------------
    def decode(self, addr):
        """Read the line address bit by bit, least significant field first."""
        widths = {"rank": log2(self.ranks), "bank": log2(self.banks),
                  "channel": log2(self.channels),
                  "column": log2(self.row_size // self.line_size)}
        line = addr // self.line_size
        value = {}
        bit = 0
        for f in reversed(self.order):
            if f == "row":
                value["row"] = line >> bit
                continue
            v = 0
            for i in range(widths[f]):
                v |= ((line >> (bit + i)) & 1) << i
            value[f] = v
            bit += widths[f]
        if self.xor:
            value["bank"] = (value["bank"] ^ value["row"]) % self.banks
        return value

    # -- refresh windows of a rank: [off + k tREFI, + tRFC), k = 1, 2, ... ----------------
    def windows(self, rank, until):
        if not self.tREFI:
            return []
        off = rank * self.tREFI // self.ranks
        out, k = [], 1
        while off + k * self.tREFI < until:
            out.append((off + k * self.tREFI, off + k * self.tREFI + self.tRFC))
            k += 1
        return out

    # -- the rules, each against the logs ---------------------------------------------------
    def act_legal(self, t, ch, rank, bank, group, bstate):
        acts = self.acts.get((ch, rank), [])            # sorted
        if not self.spaced(acts, t, self.tRRD_S):
            return False
        if len(acts) > WINDOW and t < acts[-WINDOW - 1] + max(self.tRRD_S, self.tFAW):
            return False
        if not self.spaced(self.group_acts.get((ch, rank, group), []), t, self.tRRD_L):
            return False
        if self.tFAW:       # at most four ACTs in any tFAW window that holds t
            near = acts[bisect_left(acts, t - self.tFAW + 1):
                        bisect_left(acts, t + self.tFAW)] + [t]
            for w in [x for x in near if x <= t]:
                if sum(1 for x in near if w <= x < w + self.tFAW) > 4:
                    return False
        if bstate["pres"] and t < bstate["pres"][-1] + self.tRP:
            return False
        return True

    def pre_legal(self, t, bstate):
        if bstate["act"] is not None and t < bstate["act"] + self.tRAS:
            return False
        for col, write, burst in bstate["since_act"]:
            if write and t < burst + self.tBURST + self.tWR:
                return False
            if not write and t < col + self.tRTP:
                return False
        return True

    @staticmethod
    def spaced(events, s, d):
        """s is at least d from every event in the sorted list, and not before the
        (WINDOW + 1)-th latest event + d (the Cython model forgets older events)."""
        if len(events) > WINDOW and s < events[-WINDOW - 1] + d:
            return False
        return all(abs(s - x) >= d for x in events[bisect_left(events, s - d):])

    def bus_free(self, ch, s):
        return self.spaced(self.bursts.get(ch, []), s, self.tBURST)

    def col_legal(self, t, ch, rank, group, bstate, lat):
        if bstate["act"] is not None and t < bstate["act"] + self.tRCD:
            return False
        if not self.spaced(self.group_cols.get((ch, rank, group), []), t, self.tCCD_L):
            return False
        if not self.spaced(self.rank_cols.get((ch, rank), []), t, self.tCCD_S):
            return False
        return self.bus_free(ch, t + lat)

    # -- one request -------------------------------------------------------------------
    def access(self, addr, kind, now):
        d = self.decode(addr)
        ch, rank, bank, row = d["channel"], d["rank"], d["bank"], d["row"]
        group = bank % self.bank_groups
        write = kind in (STORE, WRITEBACK)
        lat = self.tCWL if write else self.tCL
        key = (ch, rank, bank)
        b = self.bank.setdefault(key, {"row": None, "act": None, "pres": [], "since_act": []})
        arrive = now + self.ctrl
        q = self.queue.setdefault(ch, [None] * self.queue_size)
        free = [(-10**18 if f is None else f) for f in q]
        slot = free.index(min(free))
        start = max(arrive, free[slot])
        if self.fcfs and self.chan_cols.get(ch):
            start = max(start, max(self.chan_cols[ch]))
        refreshed = False
        while True:
            closed = refreshed or b["row"] is None or any(
                b["act"] < w0 <= start for w0, _ in self.windows(rank, start + 1))
            pre = act = None
            if closed:
                outcome = "miss"
                act = start
                while not self.act_legal(act, ch, rank, bank, group, b):
                    act += 1
            elif b["row"] == row:
                outcome = "hit"
            else:
                outcome = "conflict"
                pre = start
                while not self.pre_legal(pre, b):
                    pre += 1
                act = pre + self.tRP
                saved = b["pres"]
                b["pres"] = saved + [pre]          # tentatively: ACT must follow this PRE
                while not self.act_legal(act, ch, rank, bank, group, b):
                    act += 1
                b["pres"] = saved
            col = start if act is None else act + self.tRCD
            probe = dict(b, act=act if act is not None else b["act"])
            while not self.col_legal(col, ch, rank, group, probe, lat):
                col += 1
            done = col + lat + self.tBURST
            end = done + self.tWR if write else done
            hit_window = [w for w in self.windows(rank, end) if w[1] > start and w[0] < end]
            if hit_window:
                start = hit_window[0][1]
                refreshed = True
                continue
            break
        # log the commands
        if pre is not None:
            b["pres"].append(pre)
        if act is not None:
            insort(self.acts.setdefault((ch, rank), []), act)
            insort(self.group_acts.setdefault((ch, rank, group), []), act)
            b["act"], b["row"], b["since_act"] = act, row, []
        insort(self.group_cols.setdefault((ch, rank, group), []), col)
        insort(self.rank_cols.setdefault((ch, rank), []), col)
        self.chan_cols.setdefault(ch, []).append(col)
        b["since_act"].append((col, write, col + lat))
        insort(self.bursts.setdefault(ch, []), col + lat)
        if self.closed_page:                       # auto-precharge, earliest legal cycle
            p = col
            while not self.pre_legal(p, b):
                p += 1
            b["pres"].append(p)
            b["row"] = None
        q[slot] = col
        latency = done - now
        self.log.append((kind, outcome, latency))
        return latency
