"""Bluetooth and USB facts: live sysfs views (on a synthetic live root) and offline image hints."""
from jcstar_agent.config import BoardConfig
from jcstar_agent.criteria import Context, Options
from jcstar_agent.facts import peripherals
from jcstar_agent.target import Root

LIB = "/lib/systemd/system"


def read(root, live=False):
    return peripherals.read(Context(Root(root, live=live), BoardConfig(), Options()))


def sysfs(blocked="0", authorized_default="1", udc="fe980000.usb"):
    return {
        "/sys/devices/platform/bt/hci0/uevent": "",
        "/sys/class/bluetooth/hci0": ("symlink", "../../devices/platform/bt/hci0"),
        "/sys/class/rfkill/rfkill0/type": "bluetooth\n",
        "/sys/class/rfkill/rfkill0/soft": blocked + "\n",
        "/sys/class/rfkill/rfkill0/hard": "0\n",
        "/sys/class/rfkill/rfkill0/device": ("symlink", "../../../devices/platform/bt/hci0"),
        "/sys/class/rfkill/rfkill1/type": "wlan\n",
        "/sys/class/rfkill/rfkill1/soft": "0\n",
        "/sys/bus/usb/devices/usb1/authorized_default": authorized_default + "\n",
        "/sys/bus/usb/devices/usb1/authorized": "1\n",
        "/sys/bus/usb/devices/1-1/authorized": "1\n",
        "/sys/kernel/config/usb_gadget/g1/UDC": udc + "\n",
        "/sys/kernel/config/usb_gadget/g2/UDC": "\n",
    }


def test_live_bluetooth_rfkill_usb_and_gadget(tree):
    p = read(tree(sysfs()), live=True)
    assert [(c.name, c.blocked) for c in p.bt_controllers] == [("hci0", False)]
    assert [(b.name, b.authorized_default, b.authorized) for b in p.usb_buses] == [("usb1", 1, 1)]
    assert p.gadgets_bound == [("g1", "fe980000.usb", "/sys/kernel/config/usb_gadget/g1/UDC")]


def test_live_blocked_and_hardened(tree):
    p = read(tree(sysfs(blocked="1", authorized_default="0", udc="")), live=True)
    assert p.bt_controllers[0].blocked is True
    assert p.usb_buses[0].authorized_default == 0 and p.gadgets_bound == []


def test_offline_service_bluez_blacklist_and_gadget_config(tree):
    p = read(tree({
        f"{LIB}/bluetooth.service": "[Service]\nExecStart=/usr/libexec/bluetooth/bluetoothd\n",
        "/etc/systemd/system/multi-user.target.wants/bluetooth.service": ("symlink", f"{LIB}/bluetooth.service"),
        "/usr/libexec/bluetooth/bluetoothd": "#!/bin/sh\n",
        "/etc/modprobe.d/no-bt.conf": "blacklist btusb\ninstall bluetooth /bin/false\n# blacklist x\n",
        "/etc/modprobe.d/usb.conf": "install usb-storage /bin/true\n",
        "/etc/modules-load.d/gadget.conf": "libcomposite\n",
        "/boot/cmdline.txt": "console=serial0 root=/dev/mmcblk0p2 modules-load=dwc2,g_ether\n",
    }, modes={"/usr/libexec/bluetooth/bluetoothd": 0o755}))
    assert p.bluez == "/usr/libexec/bluetooth/bluetoothd"
    assert len(p.bt_service) == 1 and "multi-user.target.wants/bluetooth.service" in p.bt_service[0]
    assert p.module_disabled(peripherals.BT_MODULES) == [
        ("btusb", "/etc/modprobe.d/no-bt.conf:1"), ("bluetooth", "/etc/modprobe.d/no-bt.conf:2")]
    assert ("usb_storage", "/etc/modprobe.d/usb.conf:1") in p.disabled_modules
    where = [s for _, s in p.gadget_config]
    assert where == ["/etc/modules-load.d/gadget.conf:1", "/boot/cmdline.txt:1"]
    assert p.bt_controllers == [] and p.usb_buses == []  # hardware is not seen offline


def test_nothing_and_garbage(tree):
    p = read(tree({"/etc/modprobe.d/x.conf": bytes(range(256)) * 10, "/boot/config.txt": b"\xff" * 100}))
    assert p.bt_service == [] and p.gadget_config == [] and p.bluez is None


def test_debian_bluez_enablement_via_bluetooth_target_and_dbus_alias(trees):
    base = {f"{LIB}/bluetooth.service": "[Service]\nExecStart=/usr/libexec/bluetooth/bluetoothd\n"
                                        "[Install]\nWantedBy=bluetooth.target\nAlias=dbus-org.bluez.service\n",
            "/lib/systemd/systemd": "", f"{LIB}/multi-user.target": "[Unit]\n"}
    wants = "/etc/systemd/system/bluetooth.target.wants/bluetooth.service"
    p = read(trees(dict(base, **{wants: ("symlink", f"{LIB}/bluetooth.service")})))
    assert p.bt_service and wants in p.bt_service[0]
    alias = "/etc/systemd/system/dbus-org.bluez.service"
    p = read(trees(dict(base, **{alias: ("symlink", f"{LIB}/bluetooth.service")})))
    assert p.bt_service and alias in p.bt_service[0]
    masked = dict(base, **{wants: ("symlink", f"{LIB}/bluetooth.service"),
                           "/etc/systemd/system/bluetooth.service": ("symlink", "/dev/null")})
    assert read(trees(masked)).bt_service == []
    assert read(trees(base)).bt_service == []  # installed, never enabled


def test_busybox_init_script_starting_bluetoothd(tree):
    p = read(tree({"/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
                   "/etc/init.d/S40bluetoothd": "#!/bin/sh\nDAEMON=/usr/libexec/bluetooth/bluetoothd\n"
                                                "start() {\n\tprintf 'Starting bluetoothd: '\n"
                                                "\tstart-stop-daemon -S -q -m -b -p /run/bt.pid --exec $DAEMON -- -n\n}\n"
                                                "stop() {\n\tstart-stop-daemon -K -q -p /run/bt.pid\n}\n"}))
    assert p.bt_service == ["/etc/init.d/S40bluetoothd:5"]
