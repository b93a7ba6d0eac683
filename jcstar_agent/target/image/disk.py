"""Partitioned disk images (``.wic``, ``.img``, ``.sdimg``): the MBR or GPT partition table read
here, in Python, from the image file (read-only; nothing is attached or mounted), and the
filesystem of each partition recognised by its magic number.

References: UEFI 2.10 §5.3 (GPT header and entries), the Discoverable Partitions Specification
(root partition type GUIDs), and the classic MBR layout (four 16-byte entries at 0x1BE, extended
partitions chained through EBRs).
"""
from __future__ import annotations

import os
import struct
import uuid
from dataclasses import asdict, dataclass
from typing import List, Optional

from .tree import ImageError

SECTOR = 512
MAX_ENTRIES = 1024  # GPT entries read at most (128 is usual)
MAX_LOGICAL = 128  # MBR logical partitions followed at most

GPT_TYPES = {
    "4f68bce3-e8cd-4db1-96e7-fbcaf984b709": "Linux root (x86-64)",
    "b921b045-1df0-41c3-af44-4c6f280d3fae": "Linux root (ARM64)",
    "69dad710-2ce4-4e3c-b16c-21a1d49abed3": "Linux root (ARM)",
    "44479540-f297-41b2-9af7-d131d5f0458a": "Linux root (x86)",
    "72ec70a6-cf74-40e6-bd49-4bda08e8f224": "Linux root (RISC-V 64)",
    "0fc63daf-8483-4772-8e79-3d69d8477de4": "Linux filesystem",
    "8484680c-9521-48c6-9c11-b0720656f69e": "Linux /usr (x86-64)",
    "b0e01050-ee5f-4390-949a-9101b17104e9": "Linux /usr (ARM64)",
    "c12a7328-f81f-11d2-ba4b-00a0c93ec93b": "EFI system",
    "ebd0a0a2-b9e5-4433-87c0-68b6b72699c7": "Microsoft basic data",
    "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f": "Linux swap",
    "21686148-6449-6e6f-744e-656564454649": "BIOS boot",
    "933ac7e1-2eb4-4f13-b844-0e14e2aef915": "Linux /home",
    "3b8f8425-20e0-4f3b-907f-1a25a76f98e8": "Linux /srv",
}
ROOT_TYPES = tuple(k for k, v in GPT_TYPES.items() if v.startswith("Linux root"))
MBR_TYPES = {0x83: "Linux", 0x82: "Linux swap", 0x0C: "FAT32 (LBA)", 0x0B: "FAT32", 0x0E: "FAT16 (LBA)",
             0x06: "FAT16", 0x04: "FAT16 <32M", 0x01: "FAT12", 0xEF: "EFI system", 0xDA: "non-FS data",
             0x8E: "Linux LVM", 0xFD: "Linux RAID"}
EXTENDED = (0x05, 0x0F, 0x85)


@dataclass
class Partition:
    index: int  # 1-based, as the kernel names them (sda1, mmcblk0p2)
    table: str  # "gpt" or "mbr"
    type: str  # a name ("Linux root (ARM64)", "FAT32 (LBA)") or the raw id
    type_id: str  # GPT type GUID, or the MBR type byte as 0xNN
    offset: int  # bytes from the start of the image
    size: int
    name: str = ""  # GPT partition name
    filesystem: str = ""  # ext4, squashfs, vfat, swap … or "" when unknown

    def evidence(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v != ""}


SWAP_MAGIC = (b"SWAPSPACE2", b"SWAP-" + b"SPACE")  # a swap partition's signature (old and new)


def _pread(fd: int, size: int, offset: int) -> bytes:
    return os.pread(fd, size, offset)


def filesystem(fd: int, offset: int) -> str:
    """The filesystem at ``offset`` by its magic number, or ""."""
    head = _pread(fd, 4096 + 8, offset)
    if len(head) >= 1084 and head[1080:1082] == b"\x53\xef":
        sb = head[1024:2048]
        compat, incompat = struct.unpack_from("<II", sb, 92)
        if incompat & (0x40 | 0x80 | 0x200):
            return "ext4"
        return "ext3" if compat & 0x4 else "ext2"
    if head[:4] in (b"hsqs", b"sqsh"):
        return "squashfs"
    if len(head) >= 1028 and head[1024:1028] == b"\xe2\xe1\xf5\xe0":
        return "erofs"
    if head[0x36:0x39] == b"FAT" or head[0x52:0x57] == b"FAT32":
        return "vfat"
    if head[4086:4096] in SWAP_MAGIC:
        return "swap"
    return ""


def gpt(fd: int, size: int) -> Optional[List[Partition]]:
    """The GPT's partitions (None when there is no GPT header)."""
    for sector in (512, 4096):
        head = _pread(fd, 92, sector)
        if head[:8] == b"EFI PART":
            break
    else:
        return None
    entries_lba, count, entry_size = struct.unpack_from("<QII", head, 72)
    if not (128 <= entry_size <= 4096 and entry_size % 8 == 0) or count > MAX_ENTRIES:
        raise ImageError("the GPT header is damaged (entry size or count out of range)")
    table = _pread(fd, count * entry_size, entries_lba * sector)
    found = []
    for i in range(count):
        e = table[i * entry_size:(i + 1) * entry_size]
        if len(e) < 128 or e[:16] == bytes(16):
            continue
        type_id = str(uuid.UUID(bytes_le=e[:16]))
        first, last = struct.unpack_from("<QQ", e, 32)
        name = e[56:128].decode("utf-16-le", "replace").split("\0", 1)[0]
        start, length = first * sector, (last - first + 1) * sector
        if last < first or start + length > size:
            raise ImageError(f"GPT partition {i + 1} lies outside the image (truncated image?)")
        found.append(Partition(i + 1, "gpt", GPT_TYPES.get(type_id, type_id), type_id, start, length, name))
    return found


def mbr(fd: int, size: int) -> Optional[List[Partition]]:
    """The MBR's partitions, logical ones included (None when sector 0 is no partition table)."""
    head = _pread(fd, SECTOR, 0)
    if len(head) < SECTOR or head[510:512] != b"\x55\xaa" or filesystem(fd, 0) == "vfat":
        return None
    primaries = [struct.unpack_from("<B3xB3xII", head, 446 + 16 * i) for i in range(4)]
    if any(status not in (0, 0x80) for status, _t, _s, _n in primaries):
        return None
    found = []
    for i, (_status, ptype, start, count) in enumerate(primaries):
        if not ptype or not count:
            continue
        if start * SECTOR + count * SECTOR > size:
            raise ImageError(f"MBR partition {i + 1} lies outside the image (truncated image?)")
        if ptype in EXTENDED:
            found += _logical(fd, size, start)
            continue
        found.append(_mbr_part(i + 1, ptype, start * SECTOR, count * SECTOR))
    return found


def _mbr_part(index: int, ptype: int, offset: int, size: int) -> Partition:
    return Partition(index, "mbr", MBR_TYPES.get(ptype, f"0x{ptype:02x}"), f"0x{ptype:02x}", offset, size)


def _logical(fd: int, size: int, ext_start: int) -> List[Partition]:
    found, ebr, seen = [], ext_start, set()
    while ebr and len(found) < MAX_LOGICAL and ebr not in seen:
        seen.add(ebr)
        sec = _pread(fd, SECTOR, ebr * SECTOR)
        if len(sec) < SECTOR or sec[510:512] != b"\x55\xaa":
            break
        _s, ptype, rel, count = struct.unpack_from("<B3xB3xII", sec, 446)
        _s2, ntype, nrel, _n = struct.unpack_from("<B3xB3xII", sec, 462)
        if ptype and count and (ebr + rel + count) * SECTOR <= size:
            found.append(_mbr_part(5 + len(found), ptype, (ebr + rel) * SECTOR, count * SECTOR))
        ebr = ext_start + nrel if ntype in EXTENDED and nrel else 0
    return found


def partitions(fd: int, size: int) -> Optional[List[Partition]]:
    """The partitions of a disk image with their filesystems, or None when it has no table."""
    parts = gpt(fd, size)
    if parts is None:
        parts = mbr(fd, size)
        if parts and any(p.type_id == "0xee" for p in parts):
            raise ImageError("a protective MBR without a readable GPT header (damaged GPT?)")
    if parts is None:
        return None
    for p in parts:
        p.filesystem = filesystem(fd, p.offset)
    return parts


def candidates(parts: List[Partition]) -> List[Partition]:
    """Partitions that may hold the root filesystem, most likely first: GPT root types, then the
    others the agent can read (ext2/3/4, squashfs) in table order."""
    readable = [p for p in parts if p.filesystem in ("ext2", "ext3", "ext4", "squashfs")]
    return sorted(readable, key=lambda p: (p.type_id not in ROOT_TYPES, p.index))
