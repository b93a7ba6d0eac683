"""Image files made by the real tools (mkfs.ext4 -d, sfdisk, mkfs.vfat, tar), for the --image tests."""
import os
import subprocess

GPT_ROOT_X86_64 = "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709"
GPT_ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"


def run(*cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)


def ext4(src, dest, size="16M"):
    run("mkfs.ext4", "-q", "-F", "-d", src, dest, size)
    return dest


def disk(base, fs_image, label="gpt"):
    """A two-partition disk: a FAT boot partition, then the root filesystem."""
    path = os.path.join(str(base), f"disk.{label}.img")
    root_sectors = (os.path.getsize(fs_image) + 511) // 512
    with open(path, "wb") as fh:
        fh.truncate((2048 + 8192 + root_sectors + 2048) * 512)
    if label == "gpt":
        table = (f"label: gpt\nstart=2048, size=8192, type={GPT_ESP}, name=\"boot\"\n"
                 f"start=10240, size={root_sectors}, type={GPT_ROOT_X86_64}, name=\"rootfs\"\n")
    else:
        table = f"label: dos\nstart=2048, size=8192, type=c\nstart=10240, size={root_sectors}, type=83\n"
    subprocess.run(["sfdisk", "-q", path], input=table.encode(), check=True, stdout=subprocess.DEVNULL)
    boot = os.path.join(str(base), "boot.vfat")
    run("mkfs.vfat", "-C", boot, str(8192 // 2))
    for part, start in ((boot, 2048), (fs_image, 10240)):
        run("dd", f"if={part}", f"of={path}", "bs=512", f"seek={start}", "conv=notrunc", "status=none")
    os.unlink(boot)
    return path


def tar(src, dest, flag=""):
    """``src`` as a tar. A corpus case's files are hard links to the shared base tree: another
    test making its own copy changes their link count (ctime), which GNU tar reports as "file
    changed as we read it" (exit 1) though not a byte changed; only that is let through."""
    cmd = ["tar", "--numeric-owner", "--warning=no-file-changed", "-C", src, "-cf", dest] + \
          ([flag] if flag else []) + ["."]
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if p.returncode not in (0, 1) or (p.returncode == 1 and p.stderr.strip()):
        raise subprocess.CalledProcessError(p.returncode, cmd, stderr=p.stderr)
    return dest
