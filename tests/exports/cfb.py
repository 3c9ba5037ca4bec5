"""A password-protected Office file's container, built by hand for tests.

Excel saves an encrypted .xlsx as an OLE compound file (MS-CFB) holding two
streams, EncryptionInfo and EncryptedPackage. This writes a valid version-3
compound file with those two streams (random bytes inside), which is all the
import looks at: no encryption library is needed to make the fixture.
"""

from __future__ import annotations

import os
import struct

SECTOR = 512
FREE, END, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _entry(name: str, kind: int, start: int, size: int, child=NOSTREAM, right=NOSTREAM) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + bytes(16 + 4 + 8 + 8)
        + struct.pack("<IQ", start, size)
    )


def encrypted_office_file(stream_sectors: int = 8) -> bytes:
    """Bytes of a compound file shaped like an encrypted workbook."""
    info_start, package_start = 2, 2 + stream_sectors
    fat = [FATSECT, END]
    for start in (info_start, package_start):
        fat += [start + i + 1 for i in range(stream_sectors - 1)] + [END]
    fat += [FREE] * (SECTOR // 4 - len(fat))
    size = stream_sectors * SECTOR
    directory = (
        _entry("Root Entry", 5, END, 0, child=1)
        + _entry("EncryptionInfo", 2, info_start, size, right=2)
        + _entry("EncryptedPackage", 2, package_start, size)
        + bytes(128)
    )
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", FREE) * 108
    )
    assert len(header) == SECTOR and len(directory) == SECTOR
    body = struct.pack(f"<{len(fat)}I", *fat) + directory + os.urandom(2 * size)
    return header + body
