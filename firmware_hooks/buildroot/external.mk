include $(sort $(wildcard $(BR2_EXTERNAL_JCSTAR_PATH)/package/*/*.mk))
