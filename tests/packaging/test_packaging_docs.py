"""The Debian package installs the man page and the bash/zsh completion made by tools/cli_docs.py."""
import gzip
import subprocess


def test_man_page_and_completions_in_the_deb(deb, tmp_path):
    files = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    paths = {line.split()[-1].lstrip(".") for line in files.splitlines()}
    assert "/usr/share/man/man1/jcstar-agent.1.gz" in paths
    assert "/usr/share/bash-completion/completions/jcstar-agent" in paths
    assert "/usr/share/zsh/vendor-completions/_jcstar-agent" in paths
    subprocess.run(["dpkg-deb", "-x", deb, str(tmp_path)], check=True)
    page = gzip.decompress((tmp_path / "usr/share/man/man1/jcstar-agent.1.gz").read_bytes()).decode()
    assert page.startswith(".TH JCSTAR\\-AGENT 1") and "\n.SS checklist" in page
