"""DRAM parts by their JEDEC names: the organisation and timings `memory.part` applies.

Each entry gives the values as the datasheet tables write them: "22nCK" is 22 clocks of the
part's tCK (converted exactly to seconds), "32ns" a time. Where the standard gives a rule
of the form max(n nCK, t ns), the entry holds the larger of the two at this speed, with the
rule in the comment. The sources are named per part; docs/dram.md repeats the table.
A 64-byte line is the unit of transfer (tBURST = the bus time of one line).
"""

from __future__ import annotations

__all__ = ["PARTS", "PART_NAMES"]

PARTS: dict[str, dict] = {
    # JESD79-4C (DDR4) speed bin DDR4-3200AA (22-22-22) and AC timing table, 8Gb x8
    # device (1 KB page), as in Micron MT40A1G8 (8Gb DDR4) data sheet: 16 banks in 4 bank
    # groups; a 64-bit rank of eight x8 chips has 8 KB rows; BL8 = 4 clocks.
    "DDR4-3200": {
        "source": "JESD79-4C speed bin DDR4-3200AA and AC timings (8Gb x8, 1 KB page); "
                  "Micron MT40A1G8 data sheet",
        "values": {
            "tCK": "0.625ns", "channels": 1, "ranks": 1, "banks": 16, "bank_groups": 4,
            "row_size": 8192,
            "tCL": "22nCK", "tRCD": "22nCK", "tRP": "22nCK",     # 13.75 ns each
            "tCWL": "16nCK",                                     # CWL 16 (first set)
            "tRAS": "32ns", "tWR": "15ns",
            "tRTP": "7.5ns",                                     # max(4nCK, 7.5ns)
            "tRRD_S": "4nCK",                                    # max(4nCK, 2.5ns)
            "tRRD_L": "4.9ns",                                   # max(4nCK, 4.9ns)
            "tFAW": "21ns",                                      # 1 KB page
            "tCCD_S": "4nCK", "tCCD_L": "5ns",                   # max(5nCK, 5ns)
            "tBURST": "4nCK",                                    # BL8, 64 bits = 64 B
            "tREFI": "7.8us", "tRFC": "350ns",                   # tRFC1, 8Gb
        },
    },
    # JESD79-5B (DDR5) speed bin DDR5-4800B (40-39-39), 16Gb x8 device (1 KB page), as in
    # Micron MT60B2G8 (16Gb DDR5) data sheet: 32 banks in 8 bank groups; a DIMM has two
    # independent 32-bit subchannels (channels = 2 here), each of four x8 chips (4 KB
    # rows); BL16 on 32 bits = 64 B = 8 clocks.
    "DDR5-4800": {
        "source": "JESD79-5B speed bin DDR5-4800B and AC timings (16Gb x8, 1 KB page); "
                  "Micron MT60B2G8 data sheet",
        "values": {
            "tCK": "0.416ns", "channels": 2, "ranks": 1, "banks": 32, "bank_groups": 8,
            "row_size": 4096,
            "tCL": "40nCK", "tRCD": "39nCK", "tRP": "39nCK",     # 16.64 / 16.22 / 16.22 ns
            "tCWL": "38nCK",                                     # CWL = CL - 2
            "tRAS": "32ns", "tWR": "30ns",
            "tRTP": "7.5ns",                                     # max(12nCK, 7.5ns)
            "tRRD_S": "8nCK",                                    # 8 nCK
            "tRRD_L": "5ns",                                     # max(8nCK, 5ns)
            "tFAW": "32nCK",                                     # x8: max(32nCK, 13.333ns)
            "tCCD_S": "8nCK", "tCCD_L": "5ns",                   # max(8nCK, 5ns)
            "tBURST": "8nCK",                                    # BL16, 32 bits = 64 B
            "tREFI": "3.9us", "tRFC": "295ns",                   # tRFC1, 16Gb
        },
    },
    # JESD209-4B (LPDDR4/LPDDR4X), 4266 Mb/s (tCK 0.468 ns), read latency set with DBI off
    # (RL 36), write latency set A (WL 18), 8Gb per channel, as in Micron MT53E LPDDR4X data
    # sheets: 8 banks, no bank groups, 2 KB page per x16 channel; four x16 channels make a
    # 64-bit interface; a 64-byte line is BL32 on 16 bits = 16 clocks.
    "LPDDR4X-4266": {
        "source": "JESD209-4B (LPDDR4X) AC timings at 4266 Mb/s, RL/WL set A, DBI off; "
                  "Micron MT53E LPDDR4X data sheet",
        "values": {
            "tCK": "0.468ns", "channels": 4, "ranks": 1, "banks": 8, "bank_groups": 1,
            "row_size": 2048,
            "tCL": "36nCK", "tCWL": "18nCK",                     # RL 36, WL 18
            "tRCD": "18ns", "tRP": "18ns",                       # max(18ns, 4nCK); tRPpb
            "tRAS": "42ns", "tWR": "18ns",                       # max(42ns, 3nCK); max(18ns, 6nCK)
            "tRTP": "7.5ns",                                     # max(7.5ns, 8nCK)
            "tRRD_S": "7.5ns", "tRRD_L": "7.5ns",                # max(7.5ns, 4nCK)
            "tFAW": "30ns",
            "tCCD_S": "8nCK", "tCCD_L": "8nCK",                  # tCCD = BL16 / 2
            "tBURST": "16nCK",                                   # BL32, 16 bits = 64 B
            "tREFI": "3.904us", "tRFC": "280ns",                 # tRFCab, 8Gb per channel
        },
    },
    # JESD209-5A (LPDDR5) at 6400 Mb/s in bank-group mode: CK 800 MHz (tCK 1.25 ns), WCK
    # 4:1; read latency 17 nCK, write latency set A 9 nCK; 16 banks in 4 bank groups, 2 KB
    # page per x16 channel, four x16 channels make a 64-bit interface; a 64-byte line is
    # BL32 on 16 bits = 4 clocks of CK.
    "LPDDR5-6400": {
        "source": "JESD209-5A (LPDDR5) AC timings at 6400 Mb/s, bank-group mode, WCK:CK 4:1",
        "values": {
            "tCK": "1.25ns", "channels": 4, "ranks": 1, "banks": 16, "bank_groups": 4,
            "row_size": 2048,
            "tCL": "17nCK", "tCWL": "9nCK",                      # RL 17, WL 9 (set A)
            "tRCD": "18ns", "tRP": "18ns",                       # tRPpb
            "tRAS": "42ns", "tWR": "34ns",
            "tRTP": "7.5ns",
            "tRRD_S": "5ns", "tRRD_L": "5ns",                    # max(5ns, 2nCK)
            "tFAW": "20ns",
            "tCCD_S": "2nCK", "tCCD_L": "4nCK",                  # BL16 in BG mode
            "tBURST": "4nCK",                                    # BL32, 16 bits = 64 B
            "tREFI": "3.906us", "tRFC": "280ns",                 # tRFCab, 16Gb
        },
    },
}

PART_NAMES = ("custom",) + tuple(PARTS)
