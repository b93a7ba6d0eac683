"""Fake ``webrepl``: start() sets listen_s as the real module does (no socket in tests)."""
listen_s = None


def start(port=8266, password=None):
    global listen_s
    listen_s = ("0.0.0.0", port)


def stop():
    global listen_s
    listen_s = None
