"""jcstar-agent: checks a Linux IoT device against the JC-STAR ★1 criteria."""
__version__ = "0.1.0"
NAME = "jcstar-agent"
