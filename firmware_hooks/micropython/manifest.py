# Freeze the jcstar-agent micro-agent into a MicroPython firmware (its bytecode then runs from
# flash: no .mpy loaded into RAM, and nothing to copy with `mcu deploy` but the data files).
#
#   make -C ports/esp32 BOARD=ESP32_GENERIC \
#        FROZEN_MANIFEST=/path/to/jcstar-agent/firmware_hooks/micropython/manifest.py
#   make -C ports/rp2 BOARD=RPI_PICO_W \
#        FROZEN_MANIFEST=/path/to/jcstar-agent/firmware_hooks/micropython/manifest.py
#
# then, per unit: `jcstar-agent mcu deploy --port DEV --config board.toml --data-only` (the
# declaration, catalogue and password list stay files: they change without a firmware build).
# Relative paths in a manifest are relative to this file.
include("$(PORT_DIR)/boards/manifest.py")  # the port's own frozen modules (webrepl, ...)

for _m in ("jca_sha512", "jca_ed25519", "jca_report", "jca_facts", "jca_agent", "jca_sign", "jca_main",
           "jca_serve"):
    module(_m + ".py", base_path="../../jcstar_agent/mcu/board")
