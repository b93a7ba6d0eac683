################################################################################
#
# python-jcstar-agent
#
################################################################################

# This br2-external tree sits in the agent's source tree (firmware_hooks/buildroot): build it.
PYTHON_JCSTAR_AGENT_VERSION = 0.1.0
PYTHON_JCSTAR_AGENT_SITE = $(realpath $(BR2_EXTERNAL_JCSTAR_PATH)/../..)
PYTHON_JCSTAR_AGENT_SITE_METHOD = local
PYTHON_JCSTAR_AGENT_SETUP_TYPE = setuptools
PYTHON_JCSTAR_AGENT_LICENSE = Apache-2.0
# The build host's copy runs the image check (scripts/post-fakeroot.sh): `check --root` needs
# only the interpreter (host-python3 is >= 3.11: tomllib).
PYTHON_JCSTAR_AGENT_DEPENDENCIES = host-python-jcstar-agent

define PYTHON_JCSTAR_AGENT_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/firmware_hooks/systemd/jcstar-agent-attest.service \
		$(TARGET_DIR)/usr/lib/systemd/system/jcstar-agent-attest.service
	$(INSTALL) -D -m 0644 $(@D)/firmware_hooks/systemd/jcstar-agent-attest.timer \
		$(TARGET_DIR)/usr/lib/systemd/system/jcstar-agent-attest.timer
	$(INSTALL) -D -m 0644 $(@D)/firmware_hooks/systemd/jcstar-agent-serial@.service \
		$(TARGET_DIR)/usr/lib/systemd/system/jcstar-agent-serial@.service
	$(INSTALL) -d -m 0755 $(TARGET_DIR)/usr/lib/systemd/system/timers.target.wants
	ln -sf ../jcstar-agent-attest.timer \
		$(TARGET_DIR)/usr/lib/systemd/system/timers.target.wants/jcstar-agent-attest.timer
endef

$(eval $(python-package))
$(eval $(host-python-package))
