"""jcstar-image-check: one agent run writes every report format (the reports agree)."""
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

from hookutil import IMAGE_CHECK, PROJECT, read_report


def test_one_run_writes_json_and_junit(tree, tmp_path):
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "agent.sh"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\ncd {PROJECT} && exec {sys.executable} -m jcstar_agent "$@"\n')
    os.chmod(wrapper, 0o755)
    out = tmp_path / "deploy" / "image"
    p = subprocess.run(["sh", IMAGE_CHECK, "--root", tree(), "--output", str(out),
                        "--formats", "json junit text", "--agent", str(wrapper)],
                       capture_output=True, text=True)
    assert p.returncode in (0, 1), p.stdout + p.stderr
    assert len(log.read_text().splitlines()) == 1  # one check run, not one per format
    report = read_report(f"{out}.json")
    suite = ET.parse(f"{out}.junit.xml").getroot()
    assert suite.get("timestamp") == report["generated_at"]
    assert os.path.getsize(f"{out}.txt") > 0
